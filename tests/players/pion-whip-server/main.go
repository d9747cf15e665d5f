// pion-whip-server: a WHIP ingest server (RFC 9725) on Pion WebRTC v3
// (Debian's golang-github-pion-webrtc.v3-dev), for hdmirtc's publication
// tests: the answerer an SFU's WHIP endpoint is, with ICE restarts.
//
//	pion-whip-server --address IP --out DIR [--port P] [--token T]
//
// POST /whip (application/sdp) -> 201, Location /whip/N, the answer with
// every candidate (gathered on IP only).  PATCH /whip/N
// (application/trickle-ice-sdpfrag, RFC 8840): new ice-ufrag/ice-pwd is an
// ICE restart (RFC 9725 4.4: the session's offer with the new credentials
// is set again, Pion restarts its agent, and the answer's new credentials
// and candidates come back, 200); without, the candidates are trickled
// (204).  DELETE /whip/N -> 200.  GET /status -> JSON (see statusOf).
// The video of session N goes to DIR/session-N.h264 (Annex B, only whole
// decodable access units: annexb.go and interceptors.go are
// pion-whep-play's, copied in by build.sh), its
// sound packets are counted.  Prints "listening PORT" once ready.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/webrtc/v3"
)

// Set by build.sh from the Debian package's version.
var pionVersion = "unknown"

type session struct {
	id       string
	pc       *webrtc.PeerConnection
	offer    string // as POSTed; an ICE restart edits its credentials
	answer   string
	mu       sync.Mutex
	file     *os.File
	out      *bufio.Writer
	au       *annexBWriter
	audio    int
	deleted  bool
	restarts int
	states   []string
}

type server struct {
	api      *webrtc.API
	out      string
	token    string
	mu       sync.Mutex
	sessions map[string]*session
	order    []string
	posts    int
	patches  int
	refused  int
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pion-whip-server: "+format+"\n", args...)
}

// newAPI: H.264 as the service offers it and Opus, NACKs and receiver
// reports (the service's RTT, and the reports whose silence tells it the
// path broke), candidates on address only, no mDNS.
func newAPI(address net.IP) (*webrtc.API, error) {
	media := &webrtc.MediaEngine{}
	if err := media.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}},
		},
		PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := media.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := media.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: "urn:ietf:params:rtp-hdrext:sdes:mid"}, kind); err != nil {
			return nil, err
		}
	}
	registry, err := receiverInterceptors()
	if err != nil {
		return nil, err
	}
	settings := webrtc.SettingEngine{}
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetIncludeLoopbackCandidate(address.IsLoopback())
	settings.SetIPFilter(func(ip net.IP) bool { return ip.Equal(address) })
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	return webrtc.NewAPI(webrtc.WithMediaEngine(media), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings)), nil
}

func (s *session) readVideo(track *webrtc.TrackRemote) {
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.au.Push(pkt, time.Now()) == nil {
			s.out.Flush()
		}
		s.mu.Unlock()
	}
}

func (s *session) readAudio(track *webrtc.TrackRemote) {
	for {
		if _, _, err := track.ReadRTP(); err != nil {
			return
		}
		s.mu.Lock()
		s.audio++
		s.mu.Unlock()
	}
}

// answer sets the offer, answers and waits for every candidate
// (non-trickle: the service takes the candidates of the answer).
func answer(pc *webrtc.PeerConnection, offer string) (*webrtc.SessionDescription, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return nil, err
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return nil, err
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("ICE gathering did not complete in 10 s")
	}
	return pc.LocalDescription(), nil
}

func (srv *server) create(w http.ResponseWriter, r *http.Request, body []byte) {
	srv.mu.Lock()
	srv.posts++
	id := fmt.Sprint(len(srv.order) + 1)
	srv.mu.Unlock()
	if ct := strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]); ct != "application/sdp" {
		http.Error(w, "the offer must be application/sdp", http.StatusUnsupportedMediaType)
		return
	}
	pc, err := srv.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	file, err := os.Create(filepath.Join(srv.out, "session-"+id+".h264"))
	if err != nil {
		pc.Close()
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s := &session{id: id, pc: pc, offer: string(body), file: file, out: bufio.NewWriter(file)}
	s.au = newAnnexBWriter(s.out)
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() == webrtc.RTPCodecTypeVideo {
			go s.readVideo(track)
		} else {
			go s.readAudio(track)
		}
	})
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		logf("session %s: %s", id, state)
		s.mu.Lock()
		s.states = append(s.states, state.String())
		s.mu.Unlock()
	})
	desc, err := answer(pc, s.offer)
	if err != nil {
		pc.Close()
		file.Close()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.answer = desc.SDP
	srv.mu.Lock()
	srv.sessions[id] = s
	srv.order = append(srv.order, id)
	srv.mu.Unlock()
	w.Header().Set("Location", "/whip/"+id)
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, desc.SDP)
}

// fragment: the credentials and candidates of an RFC 8840 body.
func fragment(body string) (ufrag, pwd string, candidates []string) {
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			ufrag = strings.TrimPrefix(line, "a=ice-ufrag:")
		case strings.HasPrefix(line, "a=ice-pwd:"):
			pwd = strings.TrimPrefix(line, "a=ice-pwd:")
		case strings.HasPrefix(line, "a=candidate:"):
			candidates = append(candidates, strings.TrimPrefix(line, "a="))
		}
	}
	return
}

// attribute: the first value of a=name: in sdp.
func attribute(sdp, name string) string {
	for _, line := range strings.Split(sdp, "\n") {
		if v := strings.TrimPrefix(strings.TrimRight(line, "\r"), "a="+name+":"); v != strings.TrimRight(line, "\r") {
			return v
		}
	}
	return ""
}

// restarted: the offer with new credentials and without the old
// candidates (the fragment's are added after the answer).
func restarted(offer, ufrag, pwd string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(offer, "\n") {
		bare := strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(bare, "a=candidate:"), bare == "a=end-of-candidates":
		case strings.HasPrefix(bare, "a=ice-ufrag:"):
			b.WriteString("a=ice-ufrag:" + ufrag + "\r\n")
		case strings.HasPrefix(bare, "a=ice-pwd:"):
			b.WriteString("a=ice-pwd:" + pwd + "\r\n")
		default:
			b.WriteString(line)
		}
	}
	return b.String()
}

func (srv *server) patch(w http.ResponseWriter, r *http.Request, s *session, body []byte) {
	srv.mu.Lock()
	srv.patches++
	srv.mu.Unlock()
	if r.Header.Get("Content-Type") != "application/trickle-ice-sdpfrag" {
		http.Error(w, "a PATCH is application/trickle-ice-sdpfrag", http.StatusUnsupportedMediaType)
		return
	}
	ufrag, pwd, candidates := fragment(string(body))
	mid := "0"
	if ufrag == "" || ufrag == attribute(s.offer, "ice-ufrag") {
		for _, c := range candidates {
			if err := s.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c, SDPMid: &mid}); err != nil {
				logf("session %s: candidate refused: %v", s.id, err)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Header.Get("If-Match") != "*" {
		http.Error(w, "an ICE restart needs If-Match: *", http.StatusPreconditionRequired)
		return
	}
	s.offer = restarted(s.offer, ufrag, pwd)
	desc, err := answer(s.pc, s.offer)
	if err != nil {
		http.Error(w, "ICE restart: "+err.Error(), http.StatusBadRequest)
		return
	}
	for _, c := range candidates {
		if err := s.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: c, SDPMid: &mid}); err != nil {
			logf("session %s: candidate refused: %v", s.id, err)
		}
	}
	s.mu.Lock()
	s.restarts++
	s.mu.Unlock()
	logf("session %s: ICE restart, remote ufrag %s", s.id, ufrag)
	var b strings.Builder
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n",
		attribute(desc.SDP, "ice-ufrag"), attribute(desc.SDP, "ice-pwd"))
	for _, line := range strings.Split(desc.SDP, "\n") {
		if strings.HasPrefix(line, "a=candidate:") {
			b.WriteString(strings.TrimRight(line, "\r") + "\r\n")
		}
	}
	b.WriteString("a=end-of-candidates\r\n")
	w.Header().Set("Content-Type", "application/trickle-ice-sdpfrag")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, b.String())
}

func (s *session) status() map[string]interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]interface{}{
		"id": s.id, "state": s.pc.ConnectionState().String(), "ice_state": s.pc.ICEConnectionState().String(),
		"states": s.states, "frames": s.au.Frames, "keyframes": s.au.Keyframes, "packets": s.au.Packets,
		"packets_lost": s.au.PacketsLost, "frames_broken": s.au.FramesBroken, "audio_packets": s.audio,
		"deleted": s.deleted, "restarts": s.restarts, "offer": s.offer, "answer": s.answer,
	}
}

func (srv *server) statusOf() map[string]interface{} {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	list := []interface{}{}
	for _, id := range srv.order {
		list = append(list, srv.sessions[id].status())
	}
	return map[string]interface{}{"server": "pion " + pionVersion, "posts": srv.posts, "patches": srv.patches,
		"refused": srv.refused, "sessions": list}
}

func (srv *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/status" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(srv.statusOf())
		return
	}
	if srv.token != "" && r.Header.Get("Authorization") != "Bearer "+srv.token {
		srv.mu.Lock()
		srv.refused++
		srv.mu.Unlock()
		http.Error(w, "a bearer token is needed", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 256*1024))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.URL.Path == "/whip" && r.Method == http.MethodPost {
		srv.create(w, r, body)
		return
	}
	srv.mu.Lock()
	s := srv.sessions[strings.TrimPrefix(r.URL.Path, "/whip/")]
	srv.mu.Unlock()
	if s == nil || s.deleted {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodPatch:
		srv.patch(w, r, s, body)
	case http.MethodDelete:
		s.mu.Lock()
		s.deleted = true
		s.mu.Unlock()
		s.pc.Close()
		s.mu.Lock()
		s.out.Flush()
		s.file.Close()
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "POST, PATCH or DELETE", http.StatusMethodNotAllowed)
	}
}

func main() {
	address := flag.String("address", "127.0.0.1", "address to listen and gather on")
	port := flag.Int("port", 0, "TCP port (0: any free one)")
	out := flag.String("out", "", "directory for session-N.h264")
	token := flag.String("token", "", "bearer token every request must carry")
	flag.Parse()
	ip := net.ParseIP(*address)
	if ip == nil || *out == "" {
		logf("--address must be an IP address and --out a directory")
		os.Exit(2)
	}
	api, err := newAPI(ip)
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(*address, fmt.Sprint(*port)))
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
	fmt.Printf("listening %d\n", listener.Addr().(*net.TCPAddr).Port)
	srv := &server{api: api, out: *out, token: *token, sessions: map[string]*session{}}
	logf("%v", http.Serve(listener, srv))
	os.Exit(1)
}
