// RTP (RFC 6184, packetization-mode 1) to an H.264 Annex B stream, one
// access unit at a time, written only when it is whole and decodable.
//
// Pion hands over RTP packets and nothing more: no jitter buffer, no
// depacketizer that notices loss (pion's h264writer writes whatever comes,
// so a lost packet would reach ffmpeg as a corrupt picture and the test
// would blame the service's encoder).  Here packets are put back in
// sequence order, a gap that does not fill within maxGapWait (NACKed
// packets come back on the same SSRC) counts as loss, and after a loss
// nothing is written until the next IDR: every frame counted is one
// ffmpeg can decode.
package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/rtp"
)

const (
	// How long a hole in the sequence may wait for a retransmission, and
	// how many packets may queue behind it, before it counts as lost.
	maxGapWait    = 300 * time.Millisecond
	maxGapPackets = 256

	nalIDR   = 5
	nalSPS   = 7
	nalPPS   = 8
	nalSTAPA = 24
	nalFUA   = 28
)

var annexBStartCode = []byte{0, 0, 0, 1}

// auStats are what the report and the timeout message say about the stream.
type auStats struct {
	Packets          int `json:"packets"`
	PacketsLost      int `json:"packets_lost"`
	PacketsLate      int `json:"packets_late"`
	Frames           int `json:"frames_received"`
	Keyframes        int `json:"keyframes"`
	FramesSkipped    int `json:"frames_skipped"` // whole but waiting for an IDR
	FramesBroken     int `json:"frames_broken"`  // hit by loss or malformed
	MalformedPackets int `json:"malformed_packets"`
}

type annexBWriter struct {
	out io.Writer
	auStats

	// sequence order
	started  bool
	next     uint16
	pending  map[uint16]*rtp.Packet
	gapSince time.Time

	// the access unit being assembled
	auOpen      bool
	auTimestamp uint32
	au          []byte
	auBroken    bool
	auNALTypes  [32]bool
	lossPending bool // a loss happened between two access units

	fuOpen bool
	fu     []byte

	needKeyframe   bool
	sawSPS, sawPPS bool
}

func newAnnexBWriter(out io.Writer) *annexBWriter {
	return &annexBWriter{out: out, pending: map[uint16]*rtp.Packet{}, needKeyframe: true}
}

// NeedsKeyframe: nothing can be written until an IDR comes (start, or
// after a loss); the caller sends PLI.
func (a *annexBWriter) NeedsKeyframe() bool { return a.needKeyframe }

// Push takes one packet as it arrived; the error is the output's.
func (a *annexBWriter) Push(p *rtp.Packet, now time.Time) error {
	a.Packets++
	if !a.started {
		a.started = true
		a.next = p.SequenceNumber
	}
	if int16(p.SequenceNumber-a.next) < 0 {
		a.PacketsLate++ // a duplicate, or after its hole was given up
		return nil
	}
	if _, dup := a.pending[p.SequenceNumber]; dup {
		return nil
	}
	a.pending[p.SequenceNumber] = p
	for {
		if err := a.drain(); err != nil {
			return err
		}
		if len(a.pending) == 0 {
			a.gapSince = time.Time{}
			return nil
		}
		if a.gapSince.IsZero() {
			a.gapSince = now
		}
		if len(a.pending) < maxGapPackets && now.Sub(a.gapSince) < maxGapWait {
			return nil
		}
		// Give the hole up: continue at the oldest packet held.
		oldest := a.next
		first := true
		for seq := range a.pending {
			if first || int16(seq-oldest) < 0 {
				oldest, first = seq, false
			}
		}
		a.PacketsLost += int(uint16(oldest - a.next))
		a.next = oldest
		a.gapSince = time.Time{}
		a.markLoss()
	}
}

func (a *annexBWriter) drain() error {
	for {
		p, ok := a.pending[a.next]
		if !ok {
			return nil
		}
		delete(a.pending, a.next)
		a.next++
		if err := a.take(p); err != nil {
			return err
		}
	}
}

func (a *annexBWriter) markLoss() {
	if a.auOpen {
		a.auBroken = true
	} else {
		a.lossPending = true
	}
	a.fuOpen = false
	// Later pictures may refer to what was lost.
	a.needKeyframe = true
}

// take handles the next packet in sequence order.
func (a *annexBWriter) take(p *rtp.Packet) error {
	// A new timestamp without a marker before it: the sender's marker is
	// what ends an access unit, but do not glue two pictures together.
	// If packets were lost in between, some may have been this picture's
	// first ones: it is broken too.
	if a.auOpen && p.Timestamp != a.auTimestamp {
		lossBefore := a.auBroken
		if err := a.finish(); err != nil {
			return err
		}
		a.lossPending = a.lossPending || lossBefore
	}
	if !a.auOpen {
		a.auOpen = true
		a.auTimestamp = p.Timestamp
		a.au = a.au[:0]
		a.auBroken = a.lossPending
		a.lossPending = false
		a.auNALTypes = [32]bool{}
	}
	if err := a.depacketize(p.Payload); err != nil {
		a.MalformedPackets++
		a.auBroken = true
		a.needKeyframe = true
	}
	if p.Marker {
		return a.finish()
	}
	return nil
}

var errPayload = errors.New("malformed H.264 RTP payload")

func (a *annexBWriter) depacketize(payload []byte) error {
	if len(payload) == 0 {
		return nil // padding only
	}
	switch t := payload[0] & 0x1f; {
	case t >= 1 && t <= 23:
		a.addNAL(payload)
	case t == nalSTAPA:
		for rest := payload[1:]; len(rest) > 0; {
			if len(rest) < 2 {
				return errPayload
			}
			size := int(rest[0])<<8 | int(rest[1])
			if size == 0 || len(rest) < 2+size {
				return errPayload
			}
			a.addNAL(rest[2 : 2+size])
			rest = rest[2+size:]
		}
	case t == nalFUA:
		if len(payload) < 3 {
			return errPayload
		}
		start, end := payload[1]&0x80 != 0, payload[1]&0x40 != 0
		if start {
			if a.fuOpen {
				return errPayload // the previous fragmented NAL never ended
			}
			a.fu = append(a.fu[:0], payload[0]&0xe0|payload[1]&0x1f)
			a.fuOpen = true
		} else if !a.fuOpen {
			return errPayload
		}
		a.fu = append(a.fu, payload[2:]...)
		if end {
			a.fuOpen = false
			a.addNAL(a.fu)
		}
	default:
		// STAP-B, MTAP, FU-B: interleaved mode only, which was not offered.
		return fmt.Errorf("%w: NAL unit type %d", errPayload, t)
	}
	return nil
}

func (a *annexBWriter) addNAL(nal []byte) {
	a.au = append(a.au, annexBStartCode...)
	a.au = append(a.au, nal...)
	a.auNALTypes[nal[0]&0x1f] = true
}

// finish ends the open access unit: written and counted when whole and
// decodable, dropped otherwise.
func (a *annexBWriter) finish() error {
	a.auOpen = false
	if a.fuOpen { // ended in the middle of a fragmented NAL
		a.fuOpen = false
		a.auBroken = true
	}
	if a.auBroken {
		a.FramesBroken++
		a.needKeyframe = true
		return nil
	}
	if len(a.au) == 0 {
		return nil
	}
	types := a.auNALTypes
	a.sawSPS = a.sawSPS || types[nalSPS]
	a.sawPPS = a.sawPPS || types[nalPPS]
	if a.needKeyframe {
		if !types[nalIDR] || !a.sawSPS || !a.sawPPS {
			a.FramesSkipped++
			return nil
		}
		a.needKeyframe = false
	}
	if _, err := a.out.Write(a.au); err != nil {
		return err
	}
	a.Frames++
	if types[nalIDR] {
		a.Keyframes++
	}
	return nil
}
