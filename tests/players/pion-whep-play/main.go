// pion-whep-play: a WHEP player on Pion WebRTC v3 (Debian's
// golang-github-pion-webrtc.v3-dev), for hdmirtc's interop tests.
//
//	pion-whep-play --url URL --frames N --out PREFIX [--timeout S]
//	               [--certificate ecdsa|rsa] [--offer-setup actpass|active|passive]
//	               [--srtp PROFILES] [--token TOKEN]
//
// It follows the contract in tests/browser/lib/external-player.mjs: plays
// until N access units were received, DELETEs its session, exits 0.  Pion
// does not decode, so the stream goes to PREFIX.h264 (Annex B, only whole
// decodable access units) and the test decodes it with ffmpeg.
// PREFIX.json says what was negotiated and received; it is written on
// failure too, with "error".  Any failure or the timeout: exit status 1
// and one line on stderr saying what happened.  Pion's own logs: set
// PION_LOG_TRACE=all (or a list such as dtls,ice,srtp) in the environment.
//
// The DTLS role.  Pion 3.1.56 cannot be told to offer a=setup:active:
// dtlsrole.go has `defaultDtlsRoleOffer = DTLSRoleAuto` (a constant), and
// both offer paths in peerconnection.go (generateUnmatchedSDP and the
// generateMatchedSDP call in CreateOffer) write
// connectionRoleFromDtlsRole(defaultDtlsRoleOffer), i.e. actpass;
// SettingEngine.SetAnsweringDTLSRole is read only when Pion answers
// (peerconnection.go CreateAnswer, dtlstransport.go role()).  Pion takes
// its role from the remote description instead (dtlsRoleFromRemoteSDP;
// DTLSTransport.role() inverts an explicit remote role), so
// --offer-setup active edits the a=setup line of the offer it POSTs (its
// local description keeps actpass) and the service's a=setup:passive makes
// Pion the DTLS client.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
)

// Set by build.sh from the Debian package's version.
var pionVersion = "unknown"

type options struct {
	url, out, certificate, offerSetup, token, srtp string
	frames                                         int
	timeout                                        time.Duration
}

type playReport struct {
	Client         string    `json:"client"`
	Version        string    `json:"version"`
	GoVersion      string    `json:"go_version"`
	Certificate    string    `json:"certificate"`
	CertificateKey string    `json:"certificate_key"`
	OfferSetup     string    `json:"offer_setup"`
	AnswerSetup    string    `json:"answer_setup"`
	Session        string    `json:"session,omitempty"`
	DeleteStatus   int       `json:"delete_status,omitempty"`
	ICEPair        *pairInfo `json:"ice_pair,omitempty"`
	dtlsFacts
	auStats
	PLISent      int    `json:"pli_sent"`
	FramesWanted int    `json:"frames_wanted"`
	FirstFrameMs int64  `json:"first_frame_ms,omitempty"` // from POST
	ElapsedMs    int64  `json:"elapsed_ms"`
	Error        string `json:"error,omitempty"`
	Offer        string `json:"offer"`
	Answer       string `json:"answer"`
}

func parseOptions() options {
	var o options
	var timeoutS float64
	flag.StringVar(&o.url, "url", "", "WHEP endpoint URL (http://host:port/whep)")
	flag.IntVar(&o.frames, "frames", 300, "access units to receive before stopping")
	flag.StringVar(&o.out, "out", "", "output prefix: PREFIX.h264, PREFIX.json")
	flag.Float64Var(&timeoutS, "timeout", 60, "seconds before giving up")
	flag.StringVar(&o.certificate, "certificate", "ecdsa", "DTLS certificate key: ecdsa (P-256) or rsa (2048)")
	flag.StringVar(&o.offerSetup, "offer-setup", "actpass",
		"a=setup of the offer POSTed: actpass (Pion's own), active (Pion must be the DTLS client) or passive")
	flag.StringVar(&o.token, "token", "", "bearer token for the WHEP endpoint")
	flag.StringVar(&o.srtp, "srtp", "", "SRTP profiles Pion offers, in order, comma-separated: "+
		"aes128-cm-sha1-80, aead-aes-128-gcm (default: Pion's own, GCM first)")
	flag.Parse()
	if o.url == "" || o.out == "" || o.frames <= 0 || timeoutS <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: pion-whep-play --url URL --frames N --out PREFIX [--timeout S] [--certificate ecdsa|rsa] [--offer-setup actpass|active|passive] [--srtp PROFILES] [--token T]")
		os.Exit(2)
	}
	o.timeout = time.Duration(timeoutS * float64(time.Second))
	return o
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pion-whep-play: "+format+"\n", args...)
}

func main() {
	o := parseOptions()
	rep := &playReport{Client: "pion", Version: pionVersion, GoVersion: runtime.Version(),
		Certificate: o.certificate, FramesWanted: o.frames}
	start := time.Now()
	err := play(o, rep)
	rep.ElapsedMs = time.Since(start).Milliseconds()
	if err != nil {
		rep.Error = err.Error()
	}
	if werr := writeReport(o.out+".json", rep); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		logf("FAILED: %v", err)
		os.Exit(1)
	}
	logf("done: %d frames (%d keyframes) in %d ms", rep.Frames, rep.Keyframes, rep.ElapsedMs)
}

func writeReport(path string, rep *playReport) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

var setupLine = regexp.MustCompile(`(?m)^a=setup:(\S+)`)

func setupOf(sdp string) string {
	if m := setupLine.FindStringSubmatch(sdp); m != nil {
		return m[1]
	}
	return ""
}

// hostIsLoopback: the service's address as the player reaches it.
func hostIsLoopback(u *url.URL) bool {
	if ip := net.ParseIP(u.Hostname()); ip != nil {
		return ip.IsLoopback()
	}
	return u.Hostname() == "localhost"
}

func play(o options, rep *playReport) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	endpoint, err := url.Parse(o.url)
	if err != nil || (endpoint.Scheme != "http" && endpoint.Scheme != "https") {
		return fmt.Errorf("--url %q: not an http(s) URL", o.url)
	}
	whep := &whepClient{endpoint: endpoint, token: o.token}

	cert, keyName, err := newCertificate(o.certificate)
	if err != nil {
		return err
	}
	rep.CertificateKey = keyName
	profiles, err := parseSRTPProfiles(o.srtp)
	if err != nil {
		return err
	}
	pc, err := newPeerConnection(cert, profiles, hostIsLoopback(endpoint))
	if err != nil {
		return fmt.Errorf("peer connection: %w", err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return err
	}

	file, err := os.Create(o.out + ".h264")
	if err != nil {
		return err
	}
	defer file.Close()
	out := bufio.NewWriter(file)
	rx := newReceiver(newAnnexBWriter(out), o.frames)
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { go rx.run(pc, track) })
	failed := make(chan error, 1)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		logf("peer connection %s (ICE %s, DTLS %s)", s, pc.ICEConnectionState(), pc.SCTP().Transport().State())
		switch s {
		case webrtc.PeerConnectionStateConnected:
			if pair := selectedPair(pc); pair != nil {
				logf("ICE pair: local %s %s:%d, remote %s %s:%d", pair.Local.Type, pair.Local.Address, pair.Local.Port,
					pair.Remote.Type, pair.Remote.Address, pair.Remote.Port)
			}
		case webrtc.PeerConnectionStateFailed:
			select {
			case failed <- fmt.Errorf("peer connection failed (ICE %s, DTLS %s)", pc.ICEConnectionState(),
				pc.SCTP().Transport().State()):
			default:
			}
		}
	})

	// Non-trickle WHEP: the offer carries every candidate.
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fmt.Errorf("ICE gathering did not complete in %v", o.timeout)
	}
	sdp := pc.LocalDescription().SDP
	// Pion's offers always say a=setup:actpass (see the top of this file); to
	// make it the DTLS client the offer POSTed says active.  Pion takes
	// its role from the answer's a=setup, so it follows.
	if o.offerSetup != "actpass" {
		if o.offerSetup != "active" && o.offerSetup != "passive" {
			return fmt.Errorf("--offer-setup %q: actpass, active or passive", o.offerSetup)
		}
		if !strings.Contains(sdp, "a=setup:actpass") {
			return errors.New("Pion's offer has no a=setup:actpass to replace")
		}
		sdp = strings.ReplaceAll(sdp, "a=setup:actpass", "a=setup:"+o.offerSetup)
	}
	rep.Offer = sdp
	rep.OfferSetup = setupOf(sdp)

	posted := time.Now()
	answer, session, err := whep.post(ctx, sdp)
	if err != nil {
		return err
	}
	rep.Answer, rep.Session, rep.AnswerSetup = answer, session, setupOf(answer)
	logf("POST %s -> 201, session %s, answer a=setup:%s", endpoint, session, rep.AnswerSetup)
	// From here on the session exists: DELETE it whatever happens.
	playErr := func() error {
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
			return fmt.Errorf("Pion refused the answer: %w", err)
		}
		select {
		case <-rx.done:
		case err := <-failed:
			return err
		case <-ctx.Done():
			return fmt.Errorf("timed out after %v: %s", o.timeout, rx.progress(pc))
		}
		if rx.err != nil {
			return fmt.Errorf("%v: %s", rx.err, rx.progress(pc))
		}
		return nil
	}()
	rx.mu.Lock()
	rep.auStats = rx.au.auStats
	rep.PLISent = rx.pliSent
	if !rx.firstFrame.IsZero() {
		rep.FirstFrameMs = rx.firstFrame.Sub(posted).Milliseconds()
	}
	rx.mu.Unlock()
	rep.ICEPair = selectedPair(pc)
	if pc.SCTP().Transport().State() == webrtc.DTLSTransportStateConnected {
		facts, err := readDTLSFacts(pc)
		if err != nil {
			logf("DTLS details not readable: %v", err)
		}
		rep.dtlsFacts = facts
		logf("DTLS %s, %s, %s", facts.Role, facts.Cipher, facts.SRTPProfile)
	}

	// The DELETE gets its own few seconds, even after a timeout.
	delCtx, delCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer delCancel()
	status, delErr := whep.remove(delCtx, session)
	rep.DeleteStatus = status
	// What came is kept on failure too: it is the evidence.
	flushErr := out.Flush()
	if playErr != nil {
		return playErr
	}
	if flushErr != nil {
		return flushErr
	}
	return delErr
}

// receiver reads the track, feeds the Annex B writer, asks for keyframes.
type receiver struct {
	mu         sync.Mutex
	au         *annexBWriter
	want       int
	pliSent    int
	lastPLI    time.Time
	firstFrame time.Time
	err        error
	done       chan struct{}
	once       sync.Once
}

func newReceiver(au *annexBWriter, want int) *receiver {
	return &receiver{au: au, want: want, done: make(chan struct{})}
}

func (r *receiver) finish(err error) {
	r.once.Do(func() {
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
		close(r.done)
	})
}

func (r *receiver) run(pc *webrtc.PeerConnection, track *webrtc.TrackRemote) {
	logf("track: %s, SSRC %d, payload type %d", track.Codec().MimeType, track.SSRC(), track.PayloadType())
	ssrc := uint32(track.SSRC())
	stopPLI := make(chan struct{})
	defer close(stopPLI)
	go r.askForKeyframes(pc, ssrc, stopPLI)
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			r.finish(fmt.Errorf("track ended: %w", err))
			return
		}
		r.mu.Lock()
		err = r.au.Push(pkt, time.Now())
		frames := r.au.Frames
		if frames > 0 && r.firstFrame.IsZero() {
			r.firstFrame = time.Now()
		}
		r.mu.Unlock()
		if err != nil {
			r.finish(fmt.Errorf("writing the stream: %w", err))
			return
		}
		if frames >= r.want {
			r.finish(nil)
			return
		}
	}
}

// askForKeyframes sends PLI once a second while the writer waits for an
// IDR (none came at the start, or packets were lost).  The service sends
// one to each new viewer, so this normally never fires.
func (r *receiver) askForKeyframes(pc *webrtc.PeerConnection, ssrc uint32, stop chan struct{}) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	since := time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			r.mu.Lock()
			need := r.au.NeedsKeyframe() && now.Sub(since) >= time.Second && now.Sub(r.lastPLI) >= time.Second
			if need {
				r.lastPLI = now
				r.pliSent++
			}
			r.mu.Unlock()
			if need {
				logf("no usable keyframe: PLI")
				if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
					logf("PLI not sent: %v", err)
				}
			}
		}
	}
}

func (r *receiver) progress(pc *webrtc.PeerConnection) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.au.auStats
	return fmt.Sprintf("%d of %d frames (ICE %s, DTLS %s; %d packets, %d lost, %d frames broken, %d skipped waiting for an IDR, %d PLI)",
		s.Frames, r.want, pc.ICEConnectionState(), pc.SCTP().Transport().State(), s.Packets, s.PacketsLost,
		s.FramesBroken, s.FramesSkipped, r.pliSent)
}
