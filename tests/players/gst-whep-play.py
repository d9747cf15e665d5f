#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""WHEP player on GStreamer's webrtcbin (libnice ICE, DTLS through
OpenSSL's dtls elements, libsrtp2, H.264 decoded by avdec_h264), for the
interop tests.

Follows the contract in tests/browser/lib/external-player.mjs:
  gst-whep-play.py --url URL --frames N --out PREFIX [--timeout S]
                   [--certificate rsa|ecdsa] [--stun stun://HOST:PORT]
                   [--local-address ADDR]...
writes PREFIX.y (each decoded picture's top barcode rows of luma) and
PREFIX.json, sends DELETE for its session, exits 0 after N pictures.

Run it with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-plugins-bad-1.0,
gstreamer1.0-nice, gstreamer1.0-libav).  GST_DEBUG=webrtcbin:5,dtls*:5
shows the negotiation and the handshake.
"""
import argparse
import ctypes
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

from whep_player import PlayError, StripWriter, add_contract_arguments, http

import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstVideo', '1.0')
from gi.repository import GLib, Gst, GstSdp, GstVideo, GstWebRTC  # noqa: E402


# What a WHEP player should offer (README, "What an offer needs"):
# webrtcbin's default H.264 offer has no a=fmtp, which by RFC 6184 means
# packetization-mode 0 (single NAL units), and the service refuses it
# (422).  Every field that is not one of the caps' own (payload,
# clock-rate, encoding-name, rtcp-fb-*, ...) becomes an fmtp parameter,
# so these caps give "a=fmtp:96 packetization-mode=1;
# profile-level-id=42e01f;level-asymmetry-allowed=1" through webrtcbin's
# API, with no SDP text edited.  42e01f: constrained baseline, level 3.1.
H264_CAPS = ('application/x-rtp, media=video, encoding-name=H264, payload=96, '
             'clock-rate=90000, packetization-mode=(string)1, '
             'profile-level-id=(string)42e01f, level-asymmetry-allowed=(string)1, '
             'rtcp-fb-nack-pli=(boolean)true, rtcp-fb-ccm-fir=(boolean)true')

# gstdtlsconnection.h: GstDtlsSrtpCipher / GstDtlsSrtpAuth as the dtlsdec
# element reports them after the handshake.
SRTP_PROFILES = {(1, 1): 'SRTP_AES128_CM_SHA1_32', (1, 2): 'SRTP_AES128_CM_SHA1_80'}


# GStreamer 1.22's webrtcbin keeps three of its objects by a floating
# reference it never sinks: the ICE agent, each DTLS transport and each ICE
# transport (upstream fixed the transports in 93b3408d44, "webrtc: sink
# floating refs of ICE transports", 1.29).  PyGObject, handed such an
# object by get_property, sinks the floating reference as its own; when
# the Python object goes, webrtcbin is left pointing at freed memory
# (first symptom: "gst_webrtc_ice_add_stream: assertion 'GST_IS_WEBRTC_ICE
# (ice)' failed", then a segfault).  owned_property() sinks that reference
# in place first, as the fix does at creation: webrtcbin then owns it for
# real and Python takes a reference of its own like for any other object.
_gobject = ctypes.CDLL('libgobject-2.0.so.0')
_gobject.g_object_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                  ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p]
_gobject.g_object_is_floating.argtypes = [ctypes.c_void_p]
_gobject.g_object_ref_sink.argtypes = [ctypes.c_void_p]
_gobject.g_object_ref_sink.restype = ctypes.c_void_p
_gobject.g_object_unref.argtypes = [ctypes.c_void_p]
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p


def owned_property(obj, name):
    """obj's object-valued property name, its floating reference (if
    any) sunk first so that reading it from Python is safe."""
    this = ctypes.pythonapi.PyCapsule_GetPointer(obj.__gpointer__, None)
    value = ctypes.c_void_p()
    _gobject.g_object_get(this, name.encode(), ctypes.byref(value), None)
    if value.value:
        if _gobject.g_object_is_floating(value.value):
            _gobject.g_object_ref_sink(value.value)  # floating -> owned: count unchanged
        _gobject.g_object_unref(value.value)         # the reference g_object_get gave
    return obj.get_property(name)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_contract_arguments(p)
    p.add_argument('--certificate', choices=['rsa', 'ecdsa'], default='rsa',
                   help="rsa: webrtcbin's own (2048 bits); ecdsa: a P-256 one made with openssl")
    # None by default: this player talks to no one but the service.
    p.add_argument('--stun', help='STUN server for webrtcbin, stun://HOST:PORT (default none)')
    p.add_argument('--local-address', action='append', default=[],
                   help='gather host candidates on this address only (repeatable; default: the '
                        "URL's host when it is a loopback address, else libnice's own choice)")
    args = p.parse_args()
    if args.frames < 1:
        p.error('--frames must be at least 1')
    if not args.local_address:
        host = urllib.parse.urlsplit(args.url).hostname or ''
        host = '127.0.0.1' if host == 'localhost' else host
        try:
            if ipaddress.ip_address(host).is_loopback:
                # libnice leaves loopback interfaces out when it picks
                # addresses itself, and the tests' service offers only
                # loopback candidates (--interfaces lo): without this
                # there is no pair, and checks would go out of the
                # machine's other interfaces.
                args.local_address = [host]
        except ValueError:
            pass
    return args


# No proxy from the environment: the POST and DELETE go to the service
# itself, never through anything else.

def ecdsa_pem():
    """A self-signed ECDSA P-256 certificate and its key in one PEM string,
    as the dtls elements' "pem" property takes it (certificate and key are
    each found by their PEM header, in any order)."""
    with tempfile.TemporaryDirectory(prefix='gst-whep-cert-') as d:
        key, cert = os.path.join(d, 'key.pem'), os.path.join(d, 'cert.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                        '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=gst-whep-play'],
                       check=True, capture_output=True)
        with open(cert) as c, open(key) as k:
            return c.read() + k.read()


def describe_certificate(pem):
    """'RSA 2048', 'ECDSA P-256', ...: the public key of a PEM certificate,
    read with the openssl command line (nothing in GStreamer says it)."""
    if not pem:
        return None
    out = subprocess.run(['openssl', 'x509', '-noout', '-text'], input=pem, text=True,
                         capture_output=True).stdout
    if 'id-ecPublicKey' in out:
        curve = next((line.split(':', 1)[1].strip() for line in out.splitlines()
                      if 'NIST CURVE' in line), None)
        return f'ECDSA {curve or "?"}'
    if 'rsaEncryption' in out:
        bits = next((line.split('(')[1].split()[0] for line in out.splitlines()
                     if 'Public-Key:' in line and '(' in line), '?')
        return f'RSA {bits}'
    return 'unknown'


def certificate_fingerprint(pem):
    """sha-256 fingerprint as a=fingerprint writes it, of a PEM certificate."""
    if not pem:
        return None
    out = subprocess.run(['openssl', 'x509', '-noout', '-fingerprint', '-sha256'], input=pem, text=True,
                         capture_output=True).stdout
    return out.strip().split('=', 1)[1] if '=' in out else None


def candidate_lines(sdp):
    return [line for line in (sdp or '').splitlines() if line.startswith('a=candidate:')]


class SampleStrips(StripWriter):
    """StripWriter fed with appsink samples (GRAY8), on the appsink's
    streaming thread."""

    def __init__(self, path):
        super().__init__(path)
        # Pictures the decoder flagged as made from a damaged stream
        # (missing slices or references): where a counter may not read.
        self.corrupted = []

    def write(self, sample):
        info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
        buf = sample.get_buffer()
        if buf.has_flags(Gst.BufferFlags.CORRUPTED):
            self.corrupted.append(self.count)
        ok, mapped = buf.map(Gst.MapFlags.READ)
        if not ok:
            raise PlayError('cannot map a decoded picture')
        try:
            # GRAY8 without a VideoMeta (appsink asks for none): rows of
            # info.stride[0] bytes from offset 0.
            self.write_luma(info.width, info.height, mapped.data, info.stride[0])
        finally:
            buf.unmap(mapped)


class Player:
    def __init__(self, args, meta, strips):
        self.args, self.meta, self.strips = args, meta, strips
        self.loop = GLib.MainLoop()
        self.error = None
        self.location = None
        self.done = False
        self.dtls_dec = None
        self.transceiver = None
        self.t0 = time.monotonic()
        self.pem = ecdsa_pem() if args.certificate == 'ecdsa' else None

        self.pipe = Gst.Pipeline.new('whep-play')
        self.webrtc = Gst.ElementFactory.make('webrtcbin', 'webrtc')
        if self.webrtc is None:
            raise PlayError('no webrtcbin (gstreamer1.0-plugins-bad, gstreamer1.0-nice)')
        self.webrtc.set_property('bundle-policy', GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        if args.stun:
            self.webrtc.set_property('stun-server', args.stun)
        ice = owned_property(self.webrtc, 'ice-agent')
        for addr in args.local_address:
            # GstWebRTCICE's action signal (1.22): libnice then gathers on
            # these addresses only.
            if not ice.emit('add-local-ip-address', addr):
                raise PlayError(f'libnice refused local address {addr}')
        self.webrtc.connect('deep-element-added', self.on_element_added)
        self.webrtc.connect('pad-added', self.on_pad_added)
        self.webrtc.connect('notify::ice-gathering-state', self.on_gathering)
        self.webrtc.connect('notify::ice-connection-state', self.on_ice_state)
        self.webrtc.connect('notify::connection-state', self.on_pc_state)
        self.pipe.add(self.webrtc)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self.on_bus_error)
        bus.connect('message::warning', self.on_bus_warning)

    # -- certificate ------------------------------------------------------

    def on_element_added(self, _bin, _sub_bin, element):
        """webrtcbin makes its DTLS transport while it creates the offer,
        and computes a=fingerprint from the transport's certificate right
        after; no API comes between.  The transport's "certificate" is the
        "pem" of its dtlssrtpdec (gst-libs/gst/webrtc/dtlstransport.c), and
        that element joins webrtcbin (inside the transport's receive bin)
        before the fingerprint is read: giving it the ECDSA PEM here is
        what setting the transport's certificate does, early enough for
        the offer to carry the matching fingerprint."""
        factory = element.get_factory()
        name = factory.get_name() if factory else ''
        if name == 'dtlssrtpdec' and self.pem:
            element.set_property('pem', self.pem)
        elif name == 'dtlsdec':
            self.dtls_dec = element

    # -- negotiation ------------------------------------------------------

    def start(self):
        caps = Gst.Caps.from_string(H264_CAPS)
        # add-transceiver's caps are the transceiver's codec-preferences:
        # the offer's H.264 payload and its fmtp come from them.
        trans = self.webrtc.emit('add-transceiver',
                                 GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, caps)
        # NACK (and the rtx payload webrtcbin adds with it), as players do.
        trans.set_property('do-nack', True)
        self.transceiver = trans
        self.pipe.set_state(Gst.State.PLAYING)
        promise = Gst.Promise.new()
        self.webrtc.emit('create-offer', None, promise)
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value('offer') if reply and reply.has_field('offer') else None
        if offer is None:
            raise PlayError(f'webrtcbin made no offer: {reply and reply.to_string()}')
        # Gathering starts with the local description; the offer goes out
        # whole once it is complete (no trickle: fewer moving parts).
        self.webrtc.emit('set-local-description', offer, None)

    def fix_fingerprint(self, offer):
        """The one edit of SDP text, because webrtcbin 1.22 cannot be made
        to write this line right: for a certificate given as PEM (the
        "pem" the dtls elements need holds the certificate and its key),
        webrtcbin's a=fingerprint is the sha-256 of every base64 line of
        that string, key included (_generate_fingerprint_from_certificate
        in ext/webrtc/webrtcsdp.c; only its own generated certificate's
        PEM is the certificate alone).  The handshake then presents a
        certificate whose fingerprint is not the one offered, and a peer
        that checks it (hdmirtc does, RFC 8122) ends the handshake with
        alert 48 (unknown_ca).  The line is replaced with the fingerprint
        of the certificate really used."""
        right = certificate_fingerprint(self.pem)
        lines = offer.split('\r\n')
        for i, line in enumerate(lines):
            if line.startswith('a=fingerprint:sha-256 '):
                wrong = line.split(' ', 1)[1]
                lines[i] = f'a=fingerprint:sha-256 {right}'
                self.meta['fingerprint_rewritten'] = {'webrtcbin': wrong, 'sent': right}
        if 'fingerprint_rewritten' not in self.meta:
            raise PlayError('offer has no a=fingerprint:sha-256 line to correct')
        return '\r\n'.join(lines)

    def on_gathering(self, webrtc, _pspec):
        if webrtc.get_property('ice-gathering-state') == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(self.guard, self.post_offer)

    def post_offer(self):
        offer = self.webrtc.get_property('local-description').sdp.as_text()
        if self.pem:
            offer = self.fix_fingerprint(offer)
        self.meta['offer'] = offer
        if not candidate_lines(offer):
            raise PlayError(f'no local ICE candidate gathered (local addresses {self.args.local_address})')
        status, headers, body = http('POST', self.args.url, offer.encode(), 'application/sdp')
        if status != 201:
            raise PlayError(f'POST {self.args.url}: HTTP {status} (want 201): {body.strip()}')
        if not headers.get('Location'):
            raise PlayError('201 without a Location header')
        self.location = urllib.parse.urljoin(self.args.url, headers['Location'])
        self.meta['answer'] = body
        ok, msg = GstSdp.SDPMessage.new_from_text(body)
        if ok != GstSdp.SDPResult.OK:
            raise PlayError(f'answer is no SDP ({ok}): {body!r}')
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        promise = Gst.Promise.new()
        self.webrtc.emit('set-remote-description', answer, promise)
        promise.wait()
        reply = promise.get_reply()
        if reply is not None and reply.has_field('error'):
            raise PlayError(f'webrtcbin refused the answer: {reply.get_value("error")}')
        self.t0 = time.monotonic()

    # -- media ------------------------------------------------------------

    def on_pad_added(self, _webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        # depay -> parse -> decode -> the luma plane alone, every picture
        # to the appsink as it comes (no clock: count what is decoded).
        # request-keyframe: a loss that NACK did not repair sends a PLI, as
        # a browser does when it cannot decode; the damaged pictures until
        # the keyframe are still decoded and counted (flagged corrupted).
        chain = Gst.parse_bin_from_description(
            'queue ! rtph264depay request-keyframe=true ! h264parse ! avdec_h264 ! videoconvert ! '
            'video/x-raw,format=GRAY8 ! appsink name=sink emit-signals=true sync=false', True)
        sink = chain.get_by_name('sink')
        sink.connect('new-sample', self.on_sample)
        self.pipe.add(chain)
        chain.sync_state_with_parent()
        if pad.link(chain.get_static_pad('sink')) != Gst.PadLinkReturn.OK:
            GLib.idle_add(self.guard, self.fail, f'cannot link {pad.get_name()} ({pad.get_current_caps()})')

    def on_sample(self, sink):
        sample = sink.emit('pull-sample')
        if self.done or sample is None:
            return Gst.FlowReturn.OK
        try:
            self.strips.write(sample)
        except PlayError as e:
            GLib.idle_add(self.guard, self.fail, str(e))
            return Gst.FlowReturn.ERROR
        if self.strips.count == 1:
            self.meta['first_picture_s'] = round(time.monotonic() - self.t0, 3)
        if self.strips.count >= self.args.frames:
            self.done = True
            GLib.idle_add(self.guard, self.finish)
        return Gst.FlowReturn.OK

    # -- states and errors ------------------------------------------------

    def on_ice_state(self, webrtc, _pspec):
        state = webrtc.get_property('ice-connection-state')
        self.meta.setdefault('ice_states', []).append(state.value_nick)
        if state == GstWebRTC.WebRTCICEConnectionState.FAILED:
            GLib.idle_add(self.guard, self.fail, 'ICE failed (no candidate pair works)')

    def on_pc_state(self, webrtc, _pspec):
        state = webrtc.get_property('connection-state')
        self.meta.setdefault('states', []).append(state.value_nick)
        if state == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            GLib.idle_add(self.guard, self.fail, 'connection failed (ICE or DTLS; '
                          'GST_DEBUG=webrtcbin:5,dtls*:5 for why)')

    def on_bus_error(self, _bus, msg):
        err, debug = msg.parse_error()
        self.fail(f'{msg.src.get_name()}: {err.message} ({debug})')

    def on_bus_warning(self, _bus, msg):
        err, debug = msg.parse_warning()
        print(f'gst-whep-play: warning from {msg.src.get_name()}: {err.message} ({debug})', file=sys.stderr)

    def guard(self, fn, *args):
        """Runs a main-loop callback; any exception ends the run with its
        message (a bug here must not look like a timeout)."""
        try:
            fn(*args)
        except PlayError as e:
            self.fail(str(e))
        except Exception as e:  # noqa: BLE001
            self.fail(f'{type(e).__name__}: {e}')
        return False

    def fail(self, message):
        if self.error is None and not self.loop_ended:
            self.error = message
            self.loop.quit()

    def finish(self):
        self.meta['play_s'] = round(time.monotonic() - self.t0, 3)
        self.loop.quit()

    def on_timeout(self):
        dtls = None
        if self.transceiver is not None:
            transport = owned_property(self.transceiver.get_property('receiver'), 'transport')
            if transport is not None:
                role = 'client' if transport.get_property('client') else 'server'
                dtls = f'{transport.get_property("state").value_nick} as {role}'
        self.fail(f'timed out after {self.args.timeout} s with {self.strips.count} of '
                  f'{self.args.frames} pictures (ICE {self.meta.get("ice_states")}, DTLS {dtls}, '
                  f'connection {self.meta.get("states")})')
        return False

    # -- what was negotiated ----------------------------------------------

    def facts(self):
        """Role, certificates, SRTP profile and ICE pair, read back from
        webrtcbin's objects.  webrtcbin does not expose the TLS cipher
        suite (OpenSSL's SSL object stays inside the dtls elements, and
        they do not log it): the service's /api/status has it."""
        facts = {}
        transport = owned_property(self.transceiver.get_property('receiver'), 'transport')
        if transport is not None:
            facts['dtls_state'] = transport.get_property('state').value_nick
            facts['dtls_role'] = 'client' if transport.get_property('client') else 'server'
            pem = transport.get_property('certificate')
            facts['certificate'] = describe_certificate(pem)
            facts['certificate_fingerprint'] = certificate_fingerprint(pem)
            facts['remote_certificate'] = describe_certificate(transport.get_property('remote-certificate'))
        if self.dtls_dec is not None:
            cipher = self.dtls_dec.get_property('srtp-cipher')
            auth = self.dtls_dec.get_property('srtp-auth')
            facts['srtp_profile'] = SRTP_PROFILES.get((cipher, auth), f'cipher {cipher} auth {auth}')
        facts['tls_cipher'] = None
        facts.update(self.ice_pair())
        return facts

    def ice_pair(self):
        """The selected pair from get-stats (candidate types and addresses),
        and the inbound RTP counts."""
        promise = Gst.Promise.new()
        self.webrtc.emit('get-stats', None, promise)
        promise.wait()
        reply = promise.get_reply()
        if reply is None:
            return {}
        stats = {}
        for i in range(reply.n_fields()):
            value = reply.get_value(reply.nth_field_name(i))
            if isinstance(value, Gst.Structure) and value.has_field('id'):
                stats[value.get_value('id')] = value
        out = {}
        for s in stats.values():
            if s.has_field('type') and s.get_value('type') == GstWebRTC.WebRTCStatsType.INBOUND_RTP:
                # inbound-rtp: what arrived, what was missing, what was asked for again
                out['rtp_in'] = {k: s.get_value(k) for k in
                                 ('packets-received', 'packets-lost', 'nack-count', 'pli-count', 'fir-count')
                                 if s.has_field(k)}
            if s.has_field('selected-candidate-pair-id'):
                pair = stats.get(s.get_value('selected-candidate-pair-id'))
                if pair is None:
                    continue
                for side in ('local', 'remote'):
                    c = stats.get(pair.get_value(f'{side}-candidate-id'))
                    if c is not None:
                        out[f'ice_{side}'] = (f'{c.get_value("candidate-type")} '
                                              f'{c.get_value("address")} {c.get_value("port")}')
        return out

    # -- run --------------------------------------------------------------

    loop_ended = False

    def run(self):
        GLib.timeout_add(int(self.args.timeout * 1000), self.on_timeout)
        GLib.idle_add(self.guard, self.start)
        self.loop.run()
        self.loop_ended = True
        self.done = True
        if self.error is None:
            self.meta.update(self.facts())
        else:
            try:
                self.meta.update(self.facts())
            except Exception as e:  # what there is to report, not a second failure
                self.meta['facts_error'] = str(e)
        if self.location:
            try:
                status, _, body = http('DELETE', self.location)
                self.meta['delete_status'] = status
                if status not in (200, 204):
                    print(f'gst-whep-play: DELETE {self.location}: HTTP {status}: {body.strip()}',
                          file=sys.stderr)
            except PlayError as e:
                # The session may outlive us: a failure, after the teardown.
                self.error = self.error or str(e)
        self.pipe.set_state(Gst.State.NULL)
        if self.error is not None:
            raise PlayError(self.error)


def main():
    args = parse_args()
    Gst.init(None)
    meta = {'client': 'gstreamer-webrtcbin', 'version': Gst.version_string(),
            'certificate_asked': args.certificate, 'local_addresses': args.local_address,
            'stun': args.stun}
    strips = SampleStrips(f'{args.out}.y')
    code = 0
    try:
        Player(args, meta, strips).run()
    except PlayError as e:
        meta['error'] = str(e)
        code = 1
    finally:
        strips.close()
    meta.update(frames_decoded=strips.count, width=strips.width, height=strips.height,
                strip_rows=strips.rows, pictures_corrupted=len(strips.corrupted),
                first_corrupted=strips.corrupted[:20])
    with open(f'{args.out}.json', 'w') as f:
        json.dump(meta, f, indent=1)
    if code:
        print(f'gst-whep-play: {meta["error"]}', file=sys.stderr)
    else:
        print(f'gst-whep-play: {strips.count} pictures {strips.width}x{strips.height}, '
              f'DTLS {meta.get("dtls_role")} with {meta.get("certificate")} (peer '
              f'{meta.get("remote_certificate")}), SRTP {meta.get("srtp_profile")}, '
              f'ICE {meta.get("ice_local")} -> {meta.get("ice_remote")}')
    return code


if __name__ == '__main__':
    sys.exit(main())
