#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's reference pipeline: GStreamer's webrtcbin behind a
minimal WHEP endpoint, fed with hdmirtc's own test pattern (barcode
included), painted in this process by hdmirtc's painter
(bench/libpattern-paint.so, bench/reference/pattern-paint.c).

  whep-gst.py --width 1280 --height 720 --fps 30 --threads 3 \\
      --painter build/bench/libpattern-paint.so --web web/

One x264enc (tune=zerolatency speed-preset=ultrafast, the service's other
x264 settings: as many sliced threads, VBV of 1.5 frames, keyint 300, no
fast P-skip) feeds a tee; every WHEP viewer gets a branch
queue ! rtph264pay ! webrtcbin.  The HTTP side serves the service's own
player page (web/) and a tiny api/status so that the same page code and the
same bench drivers work against both; POST /whep answers an offer once ICE
gathering is complete (no trickle), DELETE /whep/<id> ends a viewer.

Fed as the service feeds its own encoder: a thread paints each frame at
its due time straight into a buffer of a pool, stamped first, and pushes it
into an appsrc at once, timestamped with the pipeline's clock at that
moment.  (Earlier feeds were slower than the service's: fdsrc +
rawvideoparse stamped frames at a nominal rate and read them in pipe-sized
pieces, so every frame waited behind the one before; whole frames from
another process took 1.3 ms to reach the encoder through a pipe, 1.0 ms
through shared memory and a copy; issue 13.)  Pad probes time each frame
from its capture (CLOCK_MONOTONIC, as the service's stages) to the
encoder's input, its output and the first RTP packet of the first viewer;
api/status reports them over the last 512 frames in the service's form.

Loopback only: HTTP on 127.0.0.1, no STUN/TURN, and libnice gathers host
candidates on 127.0.0.1 alone (UDP, no TCP).  Prints "open http://...".
"""
import argparse
import collections
import ctypes
import json
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('Nice', '0.1')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

ANSWER_TIMEOUT_S = 10
# The service's stage names where the point is the same; the first RTP
# packet out of the payloader comes before SRTP and the socket, earlier
# than the service's "first send".
STAGES = ('capture_to_encode_start', 'capture_to_encode_end', 'capture_to_first_packet')


TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css'}


def pick_payload_type(offer):
    """The offered H.264 payload type with packetization-mode=1 and
    constrained baseline (42e0xx / 42e01f), else any H.264 one."""
    h264 = re.findall(r'^a=rtpmap:(\d+) H264/90000', offer, re.M | re.I)
    fmtp = dict(re.findall(r'^a=fmtp:(\d+) (.*)$', offer, re.M))
    for pt in h264:
        f = fmtp.get(pt, '').lower()
        if 'packetization-mode=1' in f and 'profile-level-id=42e0' in f:
            return int(pt)
    return int(h264[0]) if h264 else None


class Viewer:
    def __init__(self, ref, vid, pt):
        self.ref, self.id, self.pt = ref, vid, pt
        self.state = 'connecting'
        self.answer = None
        self.error = None
        self.done = threading.Event()
        self.bin = Gst.Bin.new(f'viewer-{vid[:8]}')
        q = Gst.ElementFactory.make('queue')
        q.set_property('max-size-buffers', 4)
        q.set_property('leaky', 2)   # downstream: drop the oldest rather than stall the tee
        pay = Gst.ElementFactory.make('rtph264pay')
        pay.set_property('pt', pt)
        # The SSRC fixed up front and in the caps, so that webrtcbin's answer
        # carries it (a=ssrc) even when the branch has had no buffer yet:
        # without it chromium played none of the bench's sessions.
        ssrc = random.randrange(1, 1 << 32)
        pay.set_property('ssrc', ssrc)
        pay.set_property('config-interval', -1)
        pay.set_property('aggregate-mode', 'zero-latency')
        pay.set_property('mtu', 1200)
        # Only one viewer's packets are timed: a Python probe per packet of
        # every viewer would cost the reference CPU the service does not pay.
        self.timed = ref.timed_viewer is None
        if self.timed:
            ref.timed_viewer = vid
            pay.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, ref.on_stage,
                                                'capture_to_first_packet')
        # The answer keeps the offer's profile-level-id (42e01f: level 3.1)
        # and relies on level-asymmetry-allowed, as hdmirtc's answer does
        # (it names its own level): x264 makes level 4 at 1080p, which
        # rtph264pay puts in its caps from the SPS, and the offer's value
        # pinned in the capsfilter alone failed to negotiate.
        level = Gst.ElementFactory.make('capssetter')
        level.set_property('caps', Gst.Caps.from_string('application/x-rtp,profile-level-id=(string)42e01f'))
        caps = Gst.ElementFactory.make('capsfilter')
        caps.set_property('caps', Gst.Caps.from_string(
            'application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,'
            f'payload={pt},ssrc=(uint){ssrc},packetization-mode=(string)1,profile-level-id=(string)42e01f'))
        self.webrtc = Gst.ElementFactory.make('webrtcbin')
        self.webrtc.set_property('bundle-policy', GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.webrtc.set_property('latency', 0)
        # webrtcbin keeps its ICE agent with a floating reference, which
        # PyGObject sinks and would drop with the wrapper: hold one more.
        ice = self.ice = self.webrtc.get_property('ice-agent')
        if ice.is_floating():
            ice.ref()
        ice.set_property('ice-tcp', False)
        addr = Nice.Address.new()
        addr.set_from_string('127.0.0.1')
        ice.get_property('agent').add_local_address(addr)
        for e in (q, pay, level, caps, self.webrtc):
            self.bin.add(e)
        q.link(pay)
        pay.link(level)
        level.link(caps)
        caps.link(self.webrtc)   # requests sink_0, which makes a sendonly transceiver
        self.bin.add_pad(Gst.GhostPad.new('sink', q.get_static_pad('sink')))
        self.webrtc.connect('notify::ice-gathering-state', self.on_gathering)
        self.webrtc.connect('notify::connection-state', self.on_connection)
        self.tee_pad = None

    def start(self, offer_text):
        """On the GLib loop: apply the offer, answer (the branch is linked to
        the tee once the answer is set)."""
        self.ref.pipeline.add(self.bin)
        self.bin.sync_state_with_parent()
        trans = self.webrtc.emit('get-transceiver', 0)
        if trans:
            trans.set_property('direction', GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        ok, sdp = GstSdp.SDPMessage.new_from_text(offer_text)
        if ok != GstSdp.SDPResult.OK:
            return self.fail('the offer is not SDP')
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)
        self.webrtc.emit('set-remote-description', offer,
                         Gst.Promise.new_with_change_func(self.on_remote_set, None))
        return False

    def on_remote_set(self, promise, _data):
        GLib.idle_add(lambda: self.webrtc.emit(
            'create-answer', None, Gst.Promise.new_with_change_func(self.on_answer, None)) and False)

    def on_answer(self, promise, _data):
        promise.wait()
        reply = promise.get_reply()
        answer = reply.get_value('answer') if reply else None
        if answer is None:
            GLib.idle_add(self.fail, 'webrtcbin made no answer (no matching H.264 format?)')
            return
        self.webrtc.emit('set-local-description', answer, Gst.Promise.new_with_change_func(
            lambda *_: GLib.idle_add(self.link_to_tee), None))
        self.on_gathering(self.webrtc, None)

    def link_to_tee(self):
        """On the GLib loop, once the answer is webrtcbin's local description:
        the branch gets the encoder's frames from now on.  Linked before the
        offer was even set, one fresh branch in ten never sent a packet
        (webrtcbin said 0 packets sent; chromium timed out)."""
        if self.bin.get_parent() is None:      # already stopped
            return False
        self.tee_pad = self.ref.tee.request_pad_simple('src_%u')
        self.tee_pad.link(self.bin.get_static_pad('sink'))
        return False

    def on_gathering(self, webrtc, _pspec):
        if self.done.is_set():
            return
        if webrtc.get_property('ice-gathering-state') != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        local = webrtc.get_property('local-description')
        if local is None:
            return
        self.answer = local.sdp.as_text()
        if os.environ.get('HDMIRTC_TEST_VERBOSE'):
            sys.stderr.write(f'whep-gst: answer for {self.id[:8]}:\n{self.answer}')
        self.done.set()

    def sent(self):
        """What webrtcbin says it sent (its outbound-rtp statistics)."""
        promise = Gst.Promise.new()
        self.webrtc.emit('get-stats', None, promise)
        if promise.wait() != Gst.PromiseResult.REPLIED or promise.get_reply() is None:
            return {}
        out = {}

        def each(_field, value):
            if isinstance(value, Gst.Structure) and \
                    int(value.get_value('type')) == int(GstWebRTC.WebRTCStatsType.OUTBOUND_RTP):
                out['packets_sent'] = out.get('packets_sent', 0) + (value.get_value('packets-sent') or 0)
                out['bytes_sent'] = out.get('bytes_sent', 0) + (value.get_value('bytes-sent') or 0)
            return True
        promise.get_reply().foreach(each)
        return out

    def on_connection(self, webrtc, _pspec):
        s = webrtc.get_property('connection-state')
        if s == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            self.state = 'streaming'
        elif s in (GstWebRTC.WebRTCPeerConnectionState.FAILED, GstWebRTC.WebRTCPeerConnectionState.CLOSED):
            self.state = 'failed'
            GLib.idle_add(self.ref.remove, self.id)

    def fail(self, message):
        self.error = message
        self.done.set()
        self.ref.remove(self.id)
        return False

    def stop(self):
        """On the GLib loop: unlink from the tee, then drop the branch.  The
        tee's pad is released from an IDLE probe, when no buffer is inside
        it: unlinked while the encoder's thread was pushing through it, the
        next viewers got no more frames (every later session of the bench
        timed out)."""
        pad, self.tee_pad = self.tee_pad, None
        if pad is None:
            self.drop()
            return

        def unlink(tee_pad, _info):
            tee_pad.unlink(self.bin.get_static_pad('sink'))
            self.ref.tee.release_request_pad(tee_pad)
            GLib.idle_add(self.drop)
            return Gst.PadProbeReturn.REMOVE
        pad.add_probe(Gst.PadProbeType.IDLE, unlink)

    def drop(self):
        self.bin.set_state(Gst.State.NULL)
        if self.bin.get_parent() is not None:
            self.ref.pipeline.remove(self.bin)
        return False


class Reference:
    def __init__(self, args):
        self.args = args
        self.viewers = {}
        self.lock = threading.Lock()
        self.frame_size = args.width * args.height * 3 // 2
        self.stamps = {}                      # pts -> capture time (CLOCK_MONOTONIC, us)
        self.stages = {name: collections.deque(maxlen=512) for name in STAGES}
        self.encoding = collections.deque(maxlen=64)   # stamps of frames inside x264enc, in order
        self.encoded = {}                     # encoder output pts -> capture time
        self.timed_viewer = None
        desc = (
            f'appsrc name=src is-live=true format=time do-timestamp=false block=false '
            f'caps=video/x-raw,format=I420,width={args.width},height={args.height},'
            f'framerate={args.fps}/1 ! '
            f'x264enc name=enc tune=zerolatency speed-preset=ultrafast threads={args.threads} '
            'sliced-threads=true '
            f'bitrate={args.bitrate} vbv-buf-capacity={max(1, 1500 // args.fps)} key-int-max=300 '
            'option-string=fast-pskip=0 ! '
            'video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au ! '
            'tee name=t allow-not-linked=true '
            't. ! queue leaky=downstream max-size-buffers=2 ! fakesink sync=false async=false')
        self.pipeline = Gst.parse_launch(desc)
        self.tee = self.pipeline.get_by_name('t')
        self.src = self.pipeline.get_by_name('src')
        self.stopping = threading.Event()
        # hdmirtc's painter (bench/reference/pattern-paint.c) and a pool of
        # frame buffers, as the service's test pattern has.
        self.painter = ctypes.CDLL(args.painter)
        self.painter.hdmirtc_ref_painter_new.restype = ctypes.c_void_p
        self.painter.hdmirtc_ref_painter_new.argtypes = [ctypes.c_uint, ctypes.c_uint]
        self.painter.hdmirtc_ref_painter_free.argtypes = [ctypes.c_void_p]
        self.painter.hdmirtc_ref_paint.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64,
                                                   ctypes.POINTER(ctypes.c_int64),
                                                   ctypes.POINTER(ctypes.c_int64)]
        self.handle = self.painter.hdmirtc_ref_painter_new(args.width, args.height)
        if not self.handle:
            raise SystemExit(f'whep-gst: the painter takes no {args.width}x{args.height} '
                             '(width a multiple of 16, height even)')
        self.pool = Gst.BufferPool()
        config = self.pool.get_config()
        Gst.BufferPool.config_set_params(config, self.src.get_property('caps'), self.frame_size, 4, 0)
        self.pool.set_config(config)
        self.pool.set_active(True)
        enc = self.pipeline.get_by_name('enc')
        enc.get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, self.on_stage, 'capture_to_encode_start')
        enc.get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, self.on_stage, 'capture_to_encode_end')
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self.on_error)
        bus.connect('message::eos', lambda *_: loop.quit())

    def feed(self):
        """Source thread: at each frame's due time, a buffer from the pool is
        painted in place by hdmirtc's own painter (stamped first, as the
        service's test pattern does) and pushed into the appsrc with the
        pipeline's running time of that moment as its PTS.  A frame whose
        time has passed is skipped, as the service's source does."""
        period_ns = 1_000_000_000 // self.args.fps
        start_ns = time.monotonic_ns()
        mono_us, wall_us = ctypes.c_int64(), ctypes.c_int64()
        seq = -1
        while not self.stopping.is_set():
            seq += 1
            due = start_ns + seq * period_ns
            wait = due - time.monotonic_ns()
            if wait > 0 and self.stopping.wait(wait / 1e9):
                break
            clock = self.pipeline.get_clock()
            if time.monotonic_ns() - due > period_ns or clock is None:
                continue                      # late, or not PLAYING yet
            ok, buf = self.pool.acquire_buffer(None)
            if ok != Gst.FlowReturn.OK:
                break
            with buf.map(Gst.MapFlags.WRITE) as info:
                dst = ctypes.c_char.from_buffer(info.data)
                self.painter.hdmirtc_ref_paint(self.handle, ctypes.addressof(dst), seq,
                                               ctypes.byref(mono_us), ctypes.byref(wall_us))
                del dst                       # before the unmap
            pts = clock.get_time() - self.pipeline.get_base_time()
            buf.pts = pts
            buf.duration = period_ns
            with self.lock:
                self.stamps[pts] = mono_us.value
                while len(self.stamps) > 64:
                    self.stamps.pop(next(iter(self.stamps)))
            self.src.emit('push-buffer', buf)

    def on_stage(self, _pad, info, stage):
        """A probe: the frame's time since capture at this point.  x264enc
        gives its output timestamps of its own (rebased, 1000 hours on), so
        frames are matched in order there: it drops none and reorders none
        (zerolatency, no B-frames); the payloader keeps the encoder's."""
        buf = info.get_buffer()
        now_us = time.monotonic_ns() // 1000
        with self.lock:
            if stage == 'capture_to_encode_start':
                stamp = self.stamps.pop(buf.pts, None)
                if stamp is not None:
                    self.encoding.append(stamp)
            elif stage == 'capture_to_encode_end':
                stamp = self.encoding.popleft() if self.encoding else None
                if stamp is not None:
                    self.encoded[buf.pts] = stamp
                    while len(self.encoded) > 64:
                        self.encoded.pop(next(iter(self.encoded)))
            else:
                # One sample per frame: its first packet.
                stamp = self.encoded.pop(buf.pts, None)
        if stamp is not None:
            self.stages[stage].append(now_us - stamp)
        return Gst.PadProbeReturn.OK

    def stage_figures(self):
        out = {}
        for name, samples in self.stages.items():
            s = sorted(samples)
            if s:
                # The service's form (src/webrtc/frame-timings.c).
                out[name] = {'median': s[len(s) // 2], 'p95': s[min(len(s) - 1, len(s) * 95 // 100)],
                             'p99': s[min(len(s) - 1, len(s) * 99 // 100)], 'max': s[-1]}
        return out

    def on_error(self, _bus, msg):
        err, dbg = msg.parse_error()
        print(f'whep-gst: {msg.src.get_name()}: {err.message} ({dbg})', file=sys.stderr, flush=True)
        # A viewer's failure must not end the whole reference.
        if not any(v.bin is msg.src or v.bin.get_by_name(msg.src.get_name()) for v in self.viewers.values()):
            loop.quit()

    def add(self, offer):
        pt = pick_payload_type(offer)
        if pt is None:
            return None, 'the offer has no H.264'
        with self.lock:
            if len(self.viewers) >= self.args.max_viewers:
                return None, 'too many viewers'
            v = Viewer(self, uuid.uuid4().hex, pt)
            self.viewers[v.id] = v
        GLib.idle_add(v.start, offer)
        if not v.done.wait(ANSWER_TIMEOUT_S):
            GLib.idle_add(self.remove, v.id)
            return None, 'no answer in time'
        return (v, None) if v.answer else (None, v.error)

    def remove(self, vid):
        with self.lock:
            v = self.viewers.pop(vid, None)
        if v:
            v.stop()
            if self.timed_viewer == vid:
                self.timed_viewer = None
        return False

    def status(self):
        with self.lock:
            viewers = list(self.viewers.values())
        return {'reference': 'gstreamer', 'gstreamer': Gst.version_string(),
                'encoder': {'name': 'x264enc (GStreamer)', 'slice_threads': self.args.threads},
                'source': {'name': "test pattern (hdmirtc's painter, in-process appsrc)"},
                'latency_us': self.stage_figures(),
                'viewers': [{'id': v.id, 'state': v.state, **v.sent()} for v in viewers]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *a):
        if os.environ.get('HDMIRTC_TEST_VERBOSE'):
            sys.stderr.write('whep-gst: ' + fmt % a + '\n')

    def reply(self, code, body=b'', ctype='text/plain', headers=()):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split('?')[0]
        if path == '/api/status':
            return self.reply(200, json.dumps(ref.status()).encode(), 'application/json')
        # Every file of web/ at its top level, as the service serves the
        # page: a module the page imports is never missing here.
        name = 'index.html' if path == '/' else path.lstrip('/')
        ext = os.path.splitext(name)[1]
        if '/' in name or ext not in TYPES or not os.path.isfile(os.path.join(ref.args.web, name)):
            return self.reply(404, b'not found\n')
        with open(os.path.join(ref.args.web, name), 'rb') as f:
            return self.reply(200, f.read(), TYPES[os.path.splitext(name)[1]])

    def do_POST(self):
        if self.path.split('?')[0] != '/whep':
            return self.reply(404, b'not found\n')
        n = int(self.headers.get('Content-Length') or 0)
        if n <= 0 or n > 65536:
            return self.reply(400, b'bad offer size\n')
        offer = self.rfile.read(n).decode('utf-8', 'replace')
        v, err = ref.add(offer)
        if not v:
            return self.reply(400, f'{err}\n'.encode())
        return self.reply(201, v.answer.encode(), 'application/sdp', [('Location', f'/whep/{v.id}')])

    def do_DELETE(self):
        m = re.fullmatch(r'/whep/([0-9a-f]{32})', self.path)
        if not m or m.group(1) not in ref.viewers:
            return self.reply(404, b'no such viewer\n')
        GLib.idle_add(ref.remove, m.group(1))
        return self.reply(200)

    def do_OPTIONS(self):
        self.reply(204)


def main():
    global ref, loop
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--width', type=int, default=1280)
    p.add_argument('--height', type=int, default=720)
    p.add_argument('--fps', type=int, default=30)
    p.add_argument('--bitrate', type=int, default=5000, help='kbit/s')
    p.add_argument('--threads', type=int, required=True,
                   help="x264's sliced threads: as many as the service's (bench/run.mjs)")
    p.add_argument('--painter', required=True, help='bench/libpattern-paint.so of the build')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--max-viewers', type=int, default=72)
    p.add_argument('--web', required=True, help="hdmirtc's web/ directory (the player page)")
    args = p.parse_args()
    Gst.init(None)
    loop = GLib.MainLoop()
    ref = Reference(args)
    httpd = ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    for s in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, s, lambda *_: loop.quit() or False)
    ref.pipeline.set_state(Gst.State.PLAYING)
    feeder = threading.Thread(target=ref.feed, daemon=True)
    feeder.start()
    print(f'whep-gst: GStreamer {Gst.version_string()}; open http://127.0.0.1:{httpd.server_port}/', flush=True)
    loop.run()
    httpd.shutdown()
    ref.stopping.set()
    feeder.join()
    ref.pipeline.set_state(Gst.State.NULL)
    ref.pool.set_active(False)
    ref.painter.hdmirtc_ref_painter_free(ref.handle)


if __name__ == '__main__':
    main()
