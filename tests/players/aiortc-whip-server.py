#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""WHIP ingest server (RFC 9725) on aiortc, for the publication tests: an
independent WebRTC stack (aioice, pyOpenSSL DTLS, pylibsrtp, PyAV's H.264
decoder) in the answerer's role, as a WHIP server such as an SFU's is.

  aiortc-whip-server.py --port P --out DIR [--address A] [--token T]

POST /whip (application/sdp offer, Authorization: Bearer T when --token)
-> 201 Created, Location /whip/N, the answer.  Every decoded picture's top
barcode rows of luma go to DIR/session-N.y (tests/browser/lib/
external-player.mjs's strips), sound frames are counted.  DELETE /whip/N
ends session N.  GET /status -> JSON: posts, refused, sessions [{id,
state, frames, width, height, strip_rows, audio_frames, deleted, offer,
answer}].
Prints "listening PORT" when ready.  Loopback only unless --address says
otherwise.  Run it with Debian's /usr/bin/python3.
"""
import argparse
import asyncio
import json
import logging
import os
import socket
import sys

from whip_server_http import read_request, write_response
from whep_player import StripWriter

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--port', type=int, default=0, help='TCP port (0: any free one)')
    p.add_argument('--address', default='127.0.0.1', help='address to listen and gather on')
    p.add_argument('--token', help='bearer token every request must carry')
    p.add_argument('--out', required=True, help='directory for session-N.y')
    p.add_argument('--debug', action='store_true', help="aiortc's DEBUG log on stderr")
    return p.parse_args()


def gather_on(address):
    """aioice leaves loopback addresses out of its host candidates
    (aioice.ice.get_host_addresses); the tests run the service on
    loopback or in namespaces, so this server gathers on exactly the
    address it listens on, no other."""
    v6 = ':' in address

    def host_addresses(use_ipv4, use_ipv6):
        return [address] if (use_ipv6 if v6 else use_ipv4) else []

    aioice.ice.get_host_addresses = host_addresses


class Session:
    def __init__(self, number, out_dir, offer):
        self.id = number
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.strips = StripWriter(os.path.join(out_dir, f'session-{number}.y'))
        self.audio_frames = 0
        self.deleted = False
        self.offer = offer
        self.answer = None
        self.error = None
        self.tasks = []
        self.pc.on('track', self.on_track)

    def on_track(self, track):
        reader = self.read_video if track.kind == 'video' else self.read_audio
        self.tasks.append(asyncio.ensure_future(reader(track)))

    async def read_video(self, track):
        try:
            while True:
                frame = await track.recv()
                luma = frame.planes[0]
                self.strips.write_luma(frame.width, frame.height, bytes(luma), luma.line_size)
                self.strips.file.flush()
        except MediaStreamError:
            pass
        except Exception as e:  # kept for the status: the test reports it
            self.error = f'{type(e).__name__}: {e}'

    async def read_audio(self, track):
        try:
            while True:
                await track.recv()
                self.audio_frames += 1
        except MediaStreamError:
            pass

    def status(self):
        return {'id': self.id, 'state': self.pc.connectionState, 'frames': self.strips.count,
                'width': self.strips.width, 'height': self.strips.height, 'strip_rows': self.strips.rows,
                'audio_frames': self.audio_frames, 'deleted': self.deleted, 'error': self.error,
                'offer': self.offer, 'answer': self.answer}

    async def close(self):
        await self.pc.close()
        for t in self.tasks:
            t.cancel()
        self.strips.close()


class Server:
    def __init__(self, args):
        self.args = args
        self.sessions = {}
        self.posts = 0
        self.refused = 0

    def authorized(self, headers):
        if not self.args.token:
            return True
        return headers.get('authorization') == f'Bearer {self.args.token}'

    async def handle(self, reader, writer):
        try:
            req = await read_request(reader)
            if req is None:
                return
            method, path, headers, body = req
            status, extra, reply = await self.route(method, path, headers, body)
            write_response(writer, status, extra, reply)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def route(self, method, path, headers, body):
        if method == 'GET' and path == '/status':
            return 200, {'Content-Type': 'application/json'}, json.dumps({
                'posts': self.posts, 'refused': self.refused,
                'sessions': [s.status() for s in self.sessions.values()]}).encode()
        if not self.authorized(headers):
            self.refused += 1
            return 401, {'WWW-Authenticate': 'Bearer'}, b'a bearer token is needed'
        if method == 'POST' and path == '/whip':
            return await self.create(headers, body)
        if method == 'DELETE' and path.startswith('/whip/'):
            session = self.sessions.get(path[len('/whip/'):])
            if not session or session.deleted:
                return 404, {}, b'no such session'
            session.deleted = True
            await session.close()
            return 200, {}, b''
        return 405 if path.startswith('/whip') else 404, {}, b''

    async def create(self, headers, body):
        self.posts += 1
        if headers.get('content-type', '').split(';')[0].strip() != 'application/sdp':
            return 415, {}, b'the offer must be application/sdp'
        offer = body.decode('utf-8', 'replace')
        number = str(len(self.sessions) + 1)
        session = Session(number, self.args.out, offer)
        try:
            await session.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type='offer'))
            await session.pc.setLocalDescription(await session.pc.createAnswer())
        except Exception as e:
            await session.close()
            return 400, {}, f'{type(e).__name__}: {e}'.encode()
        self.sessions[number] = session
        session.answer = session.pc.localDescription.sdp
        return 201, {'Location': f'/whip/{number}', 'Content-Type': 'application/sdp'}, \
            session.pc.localDescription.sdp.encode()


async def serve(args):
    gather_on(args.address)
    server = Server(args)
    family = socket.AF_INET6 if ':' in args.address else socket.AF_INET
    listener = await asyncio.start_server(server.handle, args.address, args.port, family=family)
    port = listener.sockets[0].getsockname()[1]
    print(f'listening {port}', flush=True)
    async with listener:
        await listener.serve_forever()


def main():
    args = parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format='%(asctime)s %(name)s %(message)s')
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
