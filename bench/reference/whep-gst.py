#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's reference pipeline: GStreamer's webrtcbin behind a
minimal WHEP endpoint, fed with raw I420 frames on stdin (bench/pattern-pipe,
hdmirtc's own test pattern with its barcode).

  pattern-pipe --width 1280 --height 720 --fps 30 | \\
      whep-gst.py --width 1280 --height 720 --fps 30 --web web/

One x264enc (tune=zerolatency speed-preset=ultrafast, the service's other
x264 settings: 2 sliced threads, VBV of 1.5 frames, keyint 300, no fast
P-skip) feeds a tee; every WHEP viewer gets a branch
queue ! rtph264pay ! webrtcbin.  The HTTP side serves the service's own
player page (web/) and a tiny api/status so that the same page code and the
same bench drivers work against both; POST /whep answers an offer once ICE
gathering is complete (no trickle), DELETE /whep/<id> ends a viewer.

Loopback only: HTTP on 127.0.0.1, no STUN/TURN, and libnice gathers host
candidates on 127.0.0.1 alone (UDP, no TCP).  Prints "open http://...".
"""
import argparse
import json
import os
import re
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('Nice', '0.1')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

ANSWER_TIMEOUT_S = 10
STATIC = {'/': 'index.html', '/index.html': 'index.html', '/player.js': 'player.js',
          '/whep.js': 'whep.js', '/barcode.js': 'barcode.js', '/style.css': 'style.css'}
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
        pay.set_property('config-interval', -1)
        pay.set_property('aggregate-mode', 'zero-latency')
        pay.set_property('mtu', 1200)
        caps = Gst.ElementFactory.make('capsfilter')
        caps.set_property('caps', Gst.Caps.from_string(
            'application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,'
            f'payload={pt},packetization-mode=(string)1,profile-level-id=(string)42e01f'))
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
        for e in (q, pay, caps, self.webrtc):
            self.bin.add(e)
        q.link(pay)
        pay.link(caps)
        caps.link(self.webrtc)   # requests sink_0, which makes a sendonly transceiver
        self.bin.add_pad(Gst.GhostPad.new('sink', q.get_static_pad('sink')))
        self.webrtc.connect('notify::ice-gathering-state', self.on_gathering)
        self.webrtc.connect('notify::connection-state', self.on_connection)
        self.tee_pad = None

    def start(self, offer_text):
        """On the GLib loop: link to the tee, apply the offer, answer."""
        pipeline, tee = self.ref.pipeline, self.ref.tee
        pipeline.add(self.bin)
        self.tee_pad = tee.request_pad_simple('src_%u')
        self.tee_pad.link(self.bin.get_static_pad('sink'))
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
        self.webrtc.emit('set-local-description', answer, Gst.Promise.new())
        self.on_gathering(self.webrtc, None)

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
        """On the GLib loop: unlink from the tee and drop the branch."""
        if self.tee_pad is not None:
            self.tee_pad.unlink(self.bin.get_static_pad('sink'))
            self.ref.tee.release_request_pad(self.tee_pad)
            self.tee_pad = None
        self.bin.set_state(Gst.State.NULL)
        if self.bin.get_parent() is not None:
            self.ref.pipeline.remove(self.bin)


class Reference:
    def __init__(self, args):
        self.args = args
        self.viewers = {}
        self.lock = threading.Lock()
        frame = args.width * args.height * 3 // 2
        desc = (
            f'fdsrc fd=0 blocksize={frame} ! '
            f'rawvideoparse width={args.width} height={args.height} format=i420 framerate={args.fps}/1 ! '
            'x264enc tune=zerolatency speed-preset=ultrafast threads=2 sliced-threads=true '
            f'bitrate={args.bitrate} vbv-buf-capacity={max(1, 1500 // args.fps)} key-int-max=300 '
            'option-string=fast-pskip=0 ! '
            'video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au ! '
            'tee name=t allow-not-linked=true '
            't. ! queue leaky=downstream max-size-buffers=2 ! fakesink sync=false async=false')
        self.pipeline = Gst.parse_launch(desc)
        self.tee = self.pipeline.get_by_name('t')
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self.on_error)
        bus.connect('message::eos', lambda *_: loop.quit())

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
        return False

    def status(self):
        with self.lock:
            viewers = [{'id': v.id, 'state': v.state} for v in self.viewers.values()]
        return {'reference': 'gstreamer', 'gstreamer': Gst.version_string(),
                'encoder': {'name': 'x264enc (GStreamer)'}, 'source': {'name': 'pattern-pipe (stdin)'},
                'viewers': viewers}


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
        name = STATIC.get(path)
        if not name:
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
    print(f'whep-gst: GStreamer {Gst.version_string()}; open http://127.0.0.1:{httpd.server_port}/', flush=True)
    loop.run()
    httpd.shutdown()
    ref.pipeline.set_state(Gst.State.NULL)


if __name__ == '__main__':
    main()
