// The Pion side of the player: a receive-only peer connection that offers
// what the service takes (H.264 packetization-mode=1, constrained
// baseline), gathers only where the service is, and reports what DTLS
// negotiated.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/gob"
	"fmt"
	"net"
	"reflect"
	"strings"
	"unsafe"

	"github.com/pion/dtls/v2"
	"github.com/pion/ice/v2"
	"github.com/pion/webrtc/v3"
)

// The profile browsers offer first (42e01f: constrained baseline 3.1);
// the service accepts constrained baseline, baseline and main with
// packetization-mode=1 (README, "What an offer needs").
const h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

func newCertificate(kind string) (*webrtc.Certificate, string, error) {
	switch kind {
	case "ecdsa":
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", err
		}
		cert, err := webrtc.GenerateCertificate(key)
		return cert, "ECDSA P-256", err
	case "rsa":
		// 2048 bits, as webrtcbin/OpenSSL and browsers' RSA certificates.
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, "", err
		}
		cert, err := webrtc.GenerateCertificate(key)
		return cert, "RSA 2048", err
	}
	return nil, "", fmt.Errorf("--certificate %q: rsa or ecdsa", kind)
}

// newPeerConnection: loopback says whether the service is on a loopback
// address; candidates are gathered there only (and nowhere else), so the
// player never sends to an address the test did not choose.
func newPeerConnection(cert *webrtc.Certificate, srtpProfiles []dtls.SRTPProtectionProfile, loopback bool) (*webrtc.PeerConnection, error) {
	media := &webrtc.MediaEngine{}
	err := media.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType:    webrtc.MimeTypeH264,
			ClockRate:   90000,
			SDPFmtpLine: h264Fmtp,
			RTCPFeedback: []webrtc.RTCPFeedback{
				{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
			},
		},
		PayloadType: 102,
	}, webrtc.RTPCodecTypeVideo)
	if err != nil {
		return nil, err
	}
	// BUNDLE demultiplexing by MID, as browsers offer it.
	err = media.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: "urn:ietf:params:rtp-hdrext:sdes:mid"},
		webrtc.RTPCodecTypeVideo)
	if err != nil {
		return nil, err
	}

	registry, err := receiverInterceptors()
	if err != nil {
		return nil, err
	}

	settings := webrtc.SettingEngine{}
	// No mDNS: no multicast out of the test's namespaces, and the service
	// would have to resolve .local names.
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Pion leaves loopback interfaces out unless told.
	settings.SetIncludeLoopbackCandidate(loopback)
	settings.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() == loopback })
	if len(srtpProfiles) > 0 {
		settings.SetSRTPProtectionProfiles(srtpProfiles...)
	}
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})

	api := webrtc.NewAPI(webrtc.WithMediaEngine(media), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings))
	// No ICE servers: host candidates only (the service's srflx is its own).
	return api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{*cert}})
}

// dtlsFacts are what DTLS negotiated, read from Pion's own connection.
type dtlsFacts struct {
	Role        string `json:"dtls_role"`
	Cipher      string `json:"dtls_cipher"`
	SRTPProfile string `json:"srtp_profile"`
}

// The names --srtp takes.
var srtpProfileOptions = map[string]dtls.SRTPProtectionProfile{
	"aes128-cm-sha1-80": dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	"aead-aes-128-gcm":  dtls.SRTP_AEAD_AES_128_GCM,
}

func parseSRTPProfiles(list string) ([]dtls.SRTPProtectionProfile, error) {
	var profiles []dtls.SRTPProtectionProfile
	for _, name := range strings.Split(list, ",") {
		if name == "" {
			continue
		}
		profile, ok := srtpProfileOptions[name]
		if !ok {
			return nil, fmt.Errorf("--srtp %q: aes128-cm-sha1-80 or aead-aes-128-gcm", name)
		}
		profiles = append(profiles, profile)
	}
	return profiles, nil
}

var srtpProfileNames = map[dtls.SRTPProtectionProfile]string{
	dtls.SRTP_AES128_CM_HMAC_SHA1_80: "SRTP_AES128_CM_HMAC_SHA1_80",
	dtls.SRTP_AES128_CM_HMAC_SHA1_32: "SRTP_AES128_CM_HMAC_SHA1_32",
	dtls.SRTP_AEAD_AES_128_GCM:       "SRTP_AEAD_AES_128_GCM",
	dtls.SRTP_AEAD_AES_256_GCM:       "SRTP_AEAD_AES_256_GCM",
}

// readDTLSFacts: Pion 3.1.56 exposes none of this (TransportStats has
// DTLSCipher and SRTPCipher fields that nothing fills in, and
// DTLSTransport keeps its *dtls.Conn unexported).  The connection is taken
// from DTLSTransport's "conn" field by reflection; from there only
// pion/dtls's public API is used: SelectedSRTPProtectionProfile, and
// State.MarshalBinary, a gob whose CipherSuiteID and IsClient fields are
// decoded by name.  Anything not found is left empty, never guessed.
func readDTLSFacts(pc *webrtc.PeerConnection) (dtlsFacts, error) {
	var facts dtlsFacts
	transport := pc.SCTP().Transport()
	field := reflect.ValueOf(transport).Elem().FieldByName("conn")
	if !field.IsValid() || field.Type() != reflect.TypeOf((*dtls.Conn)(nil)) {
		return facts, fmt.Errorf("DTLSTransport has no conn *dtls.Conn field in this Pion version")
	}
	conn := *(**dtls.Conn)(unsafe.Pointer(field.UnsafeAddr()))
	if conn == nil {
		return facts, fmt.Errorf("DTLS not connected")
	}
	if profile, ok := conn.SelectedSRTPProtectionProfile(); ok {
		facts.SRTPProfile = srtpProfileNames[profile]
		if facts.SRTPProfile == "" {
			facts.SRTPProfile = fmt.Sprintf("0x%04x", uint16(profile))
		}
	}
	state := conn.ConnectionState()
	blob, err := state.MarshalBinary()
	if err != nil {
		return facts, err
	}
	var fields struct {
		CipherSuiteID uint16
		IsClient      bool
	}
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&fields); err != nil {
		return facts, err
	}
	facts.Cipher = dtls.CipherSuiteName(dtls.CipherSuiteID(fields.CipherSuiteID))
	facts.Role = "server"
	if fields.IsClient {
		facts.Role = "client"
	}
	return facts, nil
}

type candidateInfo struct {
	Type    string `json:"type"`
	Address string `json:"address"`
	Port    uint16 `json:"port"`
}

type pairInfo struct {
	Local  candidateInfo `json:"local"`
	Remote candidateInfo `json:"remote"`
}

func selectedPair(pc *webrtc.PeerConnection) *pairInfo {
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		return nil
	}
	describe := func(c *webrtc.ICECandidate) candidateInfo {
		return candidateInfo{Type: c.Typ.String(), Address: c.Address, Port: c.Port}
	}
	return &pairInfo{Local: describe(pair.Local), Remote: describe(pair.Remote)}
}
