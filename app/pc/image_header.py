"""An image file's pixel size, read from its header before anything is decoded.

Decoding a 20000 x 20000 PNG takes 1.2 GB for its pixels alone (2.4 GB measured with the
copies around it); a MaixCAM has 256 MB. The size is in the first bytes of every format
the app reads, so a still over the limit is refused before OpenCV allocates anything.

`pixel_size(data)` -> (width, height), or None when the format is not one of these or
its header is cut (the decoder then decides, under OpenCV's own limit of 2^30 pixels).
"""
from __future__ import annotations

import struct

# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic...): all but
# DHT (C4), JPG (C8) and DAC (CC), which share the range.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def pixel_size(data: bytes | memoryview) -> tuple[int, int] | None:
    head = bytes(data[:32])
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if head.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if head.startswith(b"BM") and len(head) >= 26:
        width, height = struct.unpack("<ii", head[18:26])
        return abs(width), abs(height)  # a negative height is a top-down bitmap
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _webp_size(bytes(data[:30]))
    if head[:2] in (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6"):
        return _pnm_size(bytes(data[:512]))
    return None


def _jpeg_size(data: bytes | memoryview) -> tuple[int, int] | None:
    """Walk the marker segments to the first start-of-frame (EXIF and ICC come first)."""
    i, end = 2, len(data)
    while i + 9 <= end:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # segments without a length
            i += 2
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if marker in _SOF:
            height = (data[i + 5] << 8) | data[i + 6]
            width = (data[i + 7] << 8) | data[i + 8]
            return width, height
        if marker in (0xD9, 0xDA) or length < 2:  # end, or scan data before any frame
            return None
        i += 2 + length
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        return (int.from_bytes(head[24:27], "little") + 1,
                int.from_bytes(head[27:30], "little") + 1)
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _pnm_size(head: bytes) -> tuple[int, int] | None:
    """P1..P6: magic, then width and height as decimal words; # starts a comment."""
    words: list[int] = []
    for line in head[2:].split(b"\n"):
        for word in line.split(b"#", 1)[0].split():
            if not word.isdigit():
                return None
            words.append(int(word))
            if len(words) == 2:
                return words[0], words[1]
    return None
