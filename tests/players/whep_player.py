# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Python WHEP players (gst-whep-play.py, aiortc-whep-play.py)
share: the command-line contract of tests/browser/lib/external-player.mjs,
the barcode geometry of web/barcode.js, and WHEP's HTTP requests."""
import math
import urllib.error
import urllib.request

# web/barcode.js: 192 bits in 16x16 blocks, floor(width / 16) a row.
BARCODE_BITS = 192
BARCODE_BLOCK = 16


class PlayError(Exception):
    """A failure with a message for the test log; exit status 1."""


def barcode_rows(width):
    """The luma rows that hold the barcode of a picture this wide."""
    bits_per_row = width // BARCODE_BLOCK
    if bits_per_row == 0:
        return 0
    return math.ceil(BARCODE_BITS / bits_per_row) * BARCODE_BLOCK


class StripWriter:
    """PREFIX.y: every decoded picture's top barcode rows of luma, width
    bytes a row without the decoder's padding (external-player.mjs)."""

    def __init__(self, path):
        self.file = open(path, 'wb')
        self.width = self.height = self.rows = None
        self.count = 0

    def write_luma(self, width, height, data, stride):
        """One picture: its luma plane in data, rows stride bytes apart."""
        if self.width is None:
            self.width, self.height = width, height
            self.rows = barcode_rows(width)
        if (width, height) != (self.width, self.height):
            raise PlayError(f'picture size changed from {self.width}x{self.height} '
                            f'to {width}x{height} after {self.count} pictures')
        for y in range(min(self.rows, height)):
            self.file.write(data[y * stride:y * stride + width])
        self.count += 1

    def close(self):
        self.file.close()


def add_contract_arguments(parser):
    """The options every player takes (external-player.mjs)."""
    parser.add_argument('--url', required=True, help='WHEP endpoint')
    parser.add_argument('--frames', type=int, required=True, help='decoded pictures to play')
    parser.add_argument('--out', required=True, help='PREFIX for PREFIX.y and PREFIX.json')
    parser.add_argument('--timeout', type=float, default=60, help='seconds before giving up')


# No proxy from the environment: the service is on loopback or in the
# test's namespaces.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, body=None, content_type=None):
    """One HTTP request; returns (status, headers, body text).  An HTTP
    error status is returned, not raised: the caller says what it means."""
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header('Content-Type', content_type)
    try:
        with _opener.open(req, timeout=10) as res:
            return res.status, res.headers, res.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode('utf-8', 'replace')
    except (urllib.error.URLError, OSError) as e:
        raise PlayError(f'{method} {url}: {getattr(e, "reason", e)}') from e
