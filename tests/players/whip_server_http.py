# SPDX-License-Identifier: GPL-3.0-or-later
"""The little HTTP/1.1 the test WHIP server needs (aiortc-whip-server.py):
one request per connection, a Content-Length body, no chunked encoding
(the service's libsoup sends none for a known-size body)."""

MAX_BODY = 256 * 1024
REASONS = {200: 'OK', 201: 'Created', 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found',
           405: 'Method Not Allowed', 415: 'Unsupported Media Type'}


async def read_request(reader):
    """(method, path, headers with lowercase names, body bytes), or None
    when the client closed without a request."""
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode('latin-1').split(' ', 2)
    headers = {}
    while True:
        line = (await reader.readline()).decode('latin-1').rstrip('\r\n')
        if not line:
            break
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get('content-length', '0'))
    if length > MAX_BODY:
        raise ConnectionError(f'request body of {length} bytes')
    body = await reader.readexactly(length) if length else b''
    return method, path, headers, body


def write_response(writer, status, headers, body):
    lines = [f'HTTP/1.1 {status} {REASONS.get(status, "")}', f'Content-Length: {len(body)}',
             'Connection: close']
    lines += [f'{k}: {v}' for k, v in headers.items()]
    writer.write(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body)
