#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""WHEP player on aiortc (Python: aioice ICE, DTLS through pyOpenSSL,
SRTP through pylibsrtp, H.264 decoded by PyAV), for the interop tests.

Follows the contract in tests/browser/lib/external-player.mjs:
  aiortc-whep-play.py --url URL --frames N --out PREFIX [--timeout S]
                      [--certificate ecdsa] [--setup actpass|active]
writes PREFIX.y (each decoded picture's top barcode rows of luma) and
PREFIX.json, sends DELETE for its session, exits 0 after N pictures.

Run it with Debian's /usr/bin/python3 (python3-aiortc, python3-av).
"""
import argparse
import asyncio
import ipaddress
import json
import logging
import socket
import sys
import time
import urllib.parse

from whep_player import PlayError, StripWriter, add_contract_arguments, http

import aioice.ice
import aiortc
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError



def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_contract_arguments(p)
    # aiortc 1.4.0 makes only ECDSA P-256 certificates
    # (RTCCertificate.generateCertificate), and RTCPeerConnection takes no
    # certificate from outside: RSA is refused rather than faked.
    p.add_argument('--certificate', default='ecdsa', help='ecdsa only (aiortc makes no other)')
    # actpass is what aiortc always offers (the service answers active and
    # is the DTLS client).  active is written into the offer on the wire
    # only (aiortc's own description keeps actpass): the service answers
    # passive and aiortc, which takes its role from the answer, is the
    # DTLS client: the service's DTLS server role against OpenSSL.
    p.add_argument('--setup', choices=['actpass', 'active'], default='actpass',
                   help="a=setup in the offer sent (default aiortc's own)")
    p.add_argument('--debug', action='store_true', help="aiortc's and aioice's DEBUG log on stderr")
    args = p.parse_args()
    if args.certificate != 'ecdsa':
        p.error(f'--certificate {args.certificate}: aiortc {aiortc.__version__} makes only ECDSA '
                'P-256 certificates (RTCCertificate.generateCertificate); use --certificate ecdsa')
    if args.frames < 1:
        p.error('--frames must be at least 1')
    return args


def loopback_family(url):
    """AF_INET / AF_INET6 when the URL's host is a loopback address, else None."""
    host = urllib.parse.urlsplit(url).hostname or ''
    if host == 'localhost':
        return socket.AF_INET
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not addr.is_loopback:
        return None
    return socket.AF_INET6 if addr.version == 6 else socket.AF_INET


def gather_on_loopback(family):
    """aioice leaves 127.0.0.1 and ::1 out when it gathers host candidates
    (aioice.ice.get_host_addresses), so against a service that offers only
    loopback candidates (the tests start it with --interfaces lo) there is
    no pair.  For a loopback URL, this player's candidates are loopback
    only: no traffic leaves the machine.  The patch is this process's
    alone; aioice's Connection looks the function up at gather time."""
    loopback = '::1' if family == socket.AF_INET6 else '127.0.0.1'

    def host_addresses(use_ipv4, use_ipv6):
        wanted = use_ipv6 if family == socket.AF_INET6 else use_ipv4
        return [loopback] if wanted else []

    aioice.ice.get_host_addresses = host_addresses



def offer_on_wire(sdp, setup):
    if setup == 'actpass':
        return sdp
    return sdp.replace('a=setup:actpass', f'a=setup:{setup}')


def h264_fmtp_lines(sdp):
    """The offer's H.264 payload types and their fmtp, for the JSON."""
    h264 = [line.split()[0].split(':')[1] for line in sdp.splitlines()
            if line.startswith('a=rtpmap:') and ' H264/' in line]
    return [line for line in sdp.splitlines()
            if line.startswith('a=fmtp:') and line[7:].split()[0] in h264]


def dtls_facts(transceiver, pc):
    """What was negotiated, read from aiortc's transport objects.  These are
    private attributes of aiortc 1.4.0 (no public API has them); a name that
    is missing gives null rather than a crash."""
    facts = {}
    dtls = transceiver.receiver.transport
    facts['dtls_role'] = getattr(dtls, '_role', None)
    facts['dtls_state'] = dtls.state
    ssl = getattr(dtls, 'ssl', None)
    if ssl is not None:
        facts['dtls_cipher'] = ssl.get_cipher_name()
        facts['dtls_version'] = ssl.get_protocol_version_name()
        facts['srtp_profile'] = selected_srtp_profile(ssl)
    certs = getattr(pc, '_RTCPeerConnection__certificates', None) or []
    if certs:
        facts['certificate'] = certificate_type(certs[0]._key.to_cryptography_key())
    ice = dtls.transport
    conn = getattr(ice, '_connection', None)
    nominated = getattr(conn, '_nominated', {}) if conn else {}
    pair = nominated.get(1)
    if pair is not None:
        facts['ice_local'] = f'{pair.local_candidate.type} {pair.local_candidate.host} {pair.local_candidate.port}'
        facts['ice_remote'] = f'{pair.remote_candidate.type} {pair.remote_candidate.host} {pair.remote_candidate.port}'
    facts['ice_role'] = ice.role
    return facts


def certificate_type(key):
    """'ECDSA secp256r1' or 'RSA 2048': the key behind aiortc's certificate."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f'ECDSA {key.curve.name}'
    if isinstance(key, rsa.RSAPrivateKey):
        return f'RSA {key.key_size}'
    return type(key).__name__


def selected_srtp_profile(ssl):
    """SSL_get_selected_srtp_profile through pyOpenSSL's cffi binding
    (pyOpenSSL has no wrapper for it)."""
    try:
        from OpenSSL._util import ffi, lib
        profile = lib.SSL_get_selected_srtp_profile(ssl._ssl)
        if profile == ffi.NULL:
            return None
        return ffi.string(profile.name).decode()
    except (ImportError, AttributeError):
        return None


def write_picture(strips, frame):
    """One PyAV VideoFrame into PREFIX.y (its luma plane)."""
    luma = frame.planes[0]
    strips.write_luma(frame.width, frame.height, bytes(luma), luma.line_size)


async def play(args, meta, strips):
    family = loopback_family(args.url)
    if family is not None:
        gather_on_loopback(family)
    # iceServers=[]: with None aiortc asks stun.l.google.com; this player
    # talks to no one but the service.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    failed = asyncio.get_running_loop().create_future()

    @pc.on('connectionstatechange')
    def on_state():
        meta.setdefault('states', []).append(pc.connectionState)
        if pc.connectionState == 'failed' and not failed.done():
            failed.set_result(pc.connectionState)

    transceiver = pc.addTransceiver('video', direction='recvonly')
    location = None
    try:
        await pc.setLocalDescription(await pc.createOffer())
        offer = offer_on_wire(pc.localDescription.sdp, args.setup)
        meta['offer_h264_fmtp'] = h264_fmtp_lines(offer)
        meta['offer_setup'] = args.setup
        meta['offer'] = offer
        status, headers, body = await asyncio.to_thread(
            http, 'POST', args.url, offer.encode(), 'application/sdp')
        if status != 201:
            raise PlayError(f'POST {args.url}: HTTP {status} (want 201): {body.strip()}')
        if not headers.get('Location'):
            raise PlayError('201 without a Location header')
        location = urllib.parse.urljoin(args.url, headers['Location'])
        meta['answer'] = body
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type='answer'))

        track = transceiver.receiver.track
        t0 = time.monotonic()
        while strips.count < args.frames:
            recv = asyncio.ensure_future(track.recv())
            done, _ = await asyncio.wait({recv, failed}, return_when=asyncio.FIRST_COMPLETED)
            if failed in done:
                recv.cancel()
                raise PlayError(f'connection failed after {strips.count} pictures '
                                f'(states {meta["states"]}); run with --debug for aiortc\'s log')
            try:
                frame = recv.result()
            except MediaStreamError:
                # aiortc ends the track when DTLS or the transport fails.
                raise PlayError(f'the track ended after {strips.count} pictures '
                                f'(states {meta.get("states")}); run with --debug for aiortc\'s log')
            if strips.count == 0:
                meta['first_picture_s'] = round(time.monotonic() - t0, 3)
                meta.update(dtls_facts(transceiver, pc))
            write_picture(strips, frame)
        meta['play_s'] = round(time.monotonic() - t0, 3)
    finally:
        if 'dtls_role' not in meta:
            # No picture: what the transports got to, for the failure report.
            try:
                meta.update(dtls_facts(transceiver, pc))
            except Exception as e:  # the report must not hide the real error
                meta['dtls_facts_error'] = repr(e)
        if location:
            status, _, body = await asyncio.to_thread(http, 'DELETE', location)
            meta['delete_status'] = status
            if status not in (200, 204):
                print(f'DELETE {location}: HTTP {status}: {body.strip()}', file=sys.stderr)
        await pc.close()


def main():
    args = parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format='%(asctime)s %(name)s %(message)s')
    meta = {'client': 'aiortc', 'version': aiortc.__version__, 'aioice': aioice.__version__,
            'av': __import__('av').__version__, 'openssl': __import__('OpenSSL').SSL.SSLeay_version(0).decode()}
    strips = StripWriter(f'{args.out}.y')
    code = 0
    try:
        asyncio.run(asyncio.wait_for(play(args, meta, strips), args.timeout))
    except asyncio.TimeoutError:
        meta['error'] = f'timed out after {args.timeout} s with {strips.count} of {args.frames} pictures'
        code = 1
    except PlayError as e:
        meta['error'] = str(e)
        code = 1
    except Exception as e:  # still write the JSON: the test prints it
        meta['error'] = f'{type(e).__name__}: {e}'
        code = 1
    finally:
        strips.close()
    meta.update(frames_decoded=strips.count, width=strips.width, height=strips.height,
                strip_rows=strips.rows)
    with open(f'{args.out}.json', 'w') as f:
        json.dump(meta, f, indent=1)
    if code:
        print(f'aiortc-whep-play: {meta["error"]}', file=sys.stderr)
    else:
        print(f'aiortc-whep-play: {strips.count} pictures {strips.width}x{strips.height}, '
              f'DTLS {meta.get("dtls_role")} {meta.get("dtls_cipher")}, SRTP {meta.get("srtp_profile")}')
    return code


if __name__ == '__main__':
    sys.exit(main())
