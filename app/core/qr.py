"""A QR code encoder (ISO/IEC 18004, byte mode, error correction level M, versions
1-10: up to 213 bytes) in numpy: the device's screen shows the network view's URL as a
QR code, and MaixPy has a QR reader but no writer.

`qr_matrix(b"http://...")` -> (N, N) bool, True = dark module, without the quiet zone.
"""
from __future__ import annotations

import functools

import numpy as np

# Level M, per version: (error-correction codewords per block, [(blocks, data codewords
# per block), ...]) (ISO/IEC 18004 table 9).
_BLOCKS_M: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {
    1: (10, ((1, 16),)), 2: (16, ((1, 28),)), 3: (26, ((1, 44),)), 4: (18, ((2, 32),)),
    5: (24, ((2, 43),)), 6: (16, ((4, 27),)), 7: (18, ((4, 31),)),
    8: (22, ((2, 38), (2, 39))), 9: (22, ((3, 36), (2, 37))), 10: (26, ((4, 43), (1, 44))),
}
# Centres of the alignment patterns (table E.1).
_ALIGN: dict[int, tuple[int, ...]] = {
    1: (), 2: (6, 18), 3: (6, 22), 4: (6, 26), 5: (6, 30), 6: (6, 34), 7: (6, 22, 38),
    8: (6, 24, 42), 9: (6, 26, 46), 10: (6, 28, 50),
}
MAX_VERSION = 10
_EC_BITS_M = 0b00


def _data_codewords(version: int) -> int:
    return sum(n * k for n, k in _BLOCKS_M[version][1])


def capacity(version: int) -> int:
    """Bytes a level-M code of `version` holds (byte mode)."""
    count_bits = 8 if version < 10 else 16
    return (_data_codewords(version) * 8 - 4 - count_bits) // 8


# -- GF(256), polynomial 0x11D -------------------------------------------------------------

_EXP = np.zeros(512, np.int32)
_LOG = np.zeros(256, np.int32)
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
_EXP[255:510] = _EXP[0:255]


def _mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else int(_EXP[_LOG[a] + _LOG[b]])


@functools.lru_cache(maxsize=16)
def _generator(degree: int) -> tuple[int, ...]:
    """Coefficients of prod (x - a^i), i < degree, highest first, the leading 1 dropped."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, c in enumerate(poly):
            nxt[j] ^= c
            nxt[j + 1] ^= _mul(c, int(_EXP[i]))
        poly = nxt
    return tuple(poly[1:])


def _ec_codewords(data: list[int], degree: int) -> list[int]:
    gen = _generator(degree)
    rem = [0] * degree
    for byte in data:
        factor = byte ^ rem[0]
        rem = rem[1:] + [0]
        if factor:
            for j, g in enumerate(gen):
                rem[j] ^= _mul(g, factor)
    return rem


# -- layout --------------------------------------------------------------------------------

def _bch(value: int, generator: int, degree: int) -> int:
    """`value` with its BCH remainder appended (format and version information)."""
    rem = value << degree
    top = generator.bit_length() - 1
    while rem.bit_length() > top:
        rem ^= generator << (rem.bit_length() - 1 - top)
    return (value << degree) | rem


def _function_modules(version: int) -> tuple[np.ndarray, np.ndarray]:
    """(dark, reserved): finder, timing and alignment patterns drawn, and the format and
    version areas reserved (drawn per mask)."""
    size = 17 + 4 * version
    dark = np.zeros((size, size), bool)
    reserved = np.zeros((size, size), bool)
    finder = np.ones((7, 7), bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for y, x in ((0, 0), (0, size - 7), (size - 7, 0)):
        dark[y:y + 7, x:x + 7] = finder
        reserved[max(y - 1, 0):y + 8, max(x - 1, 0):x + 8] = True  # with the separator
    timing = (np.arange(size) % 2 == 0)
    dark[6, 8:size - 8] = timing[8:size - 8]
    dark[8:size - 8, 6] = timing[8:size - 8]
    reserved[6, :] = True
    reserved[:, 6] = True
    centres = _ALIGN[version]
    last = centres[-1] if centres else 0
    for cy in centres:
        for cx in centres:
            if (cy, cx) in ((6, 6), (6, last), (last, 6)):
                continue  # on a finder
            block = np.ones((5, 5), bool)
            block[1:4, 1:4] = False
            block[2, 2] = True
            dark[cy - 2:cy + 3, cx - 2:cx + 3] = block
            reserved[cy - 2:cy + 3, cx - 2:cx + 3] = True
    reserved[8, :9] = reserved[:9, 8] = True  # format, around the top-left finder
    reserved[8, size - 8:] = reserved[size - 7:, 8] = True
    dark[size - 8, 8] = True  # the dark module
    reserved[size - 8, 8] = True
    if version >= 7:
        reserved[:6, size - 11:size - 8] = reserved[size - 11:size - 8, :6] = True
        bits = _bch(version, 0x1F25, 12)
        for i in range(18):
            bit = bool((bits >> i) & 1)
            a, b = size - 11 + i % 3, i // 3
            dark[b, a] = dark[a, b] = bit
    return dark, reserved


def _format(dark: np.ndarray, mask: int) -> None:
    size = dark.shape[0]
    bits = _bch((_EC_BITS_M << 3) | mask, 0x537, 10) ^ 0x5412

    def bit(i: int) -> bool:
        return bool((bits >> i) & 1)

    for i in range(6):
        dark[i, 8] = bit(i)
    dark[7, 8], dark[8, 8], dark[8, 7] = bit(6), bit(7), bit(8)
    for i in range(9, 15):
        dark[8, 14 - i] = bit(i)
    for i in range(8):
        dark[8, size - 1 - i] = bit(i)
    for i in range(8, 15):
        dark[size - 15 + i, 8] = bit(i)


@functools.lru_cache(maxsize=16)
def _zigzag(version: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the data modules in placement order."""
    _, reserved = _function_modules(version)
    size = reserved.shape[0]
    rows, cols = [], []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            for x in (right, right - 1):
                if not reserved[y, x]:
                    rows.append(y)
                    cols.append(x)
        right -= 2
    return np.array(rows), np.array(cols)


def _mask(kind: int, size: int) -> np.ndarray:
    y, x = np.indices((size, size))
    return [
        (x + y) % 2 == 0, y % 2 == 0, x % 3 == 0, (x + y) % 3 == 0,
        (x // 3 + y // 2) % 2 == 0, (x * y) % 2 + (x * y) % 3 == 0,
        ((x * y) % 2 + (x * y) % 3) % 2 == 0, ((x + y) % 2 + (x * y) % 3) % 2 == 0,
    ][kind]


def _penalty(m: np.ndarray) -> int:
    """The standard's mask penalty (rules 1-4), vectorised."""
    score = 0
    for grid in (m, m.T):
        for row in grid:  # runs of 5+ of one colour
            edges = np.flatnonzero(np.diff(row.astype(np.int8))) + 1
            runs = np.diff(np.concatenate(([0], edges, [len(row)])))
            score += int(np.sum(runs[runs >= 5] - 2))
        # finder-like 1:1:3:1:1 with 4 light on one side
        pattern = np.array([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], bool)
        padded = np.pad(grid, ((0, 0), (4, 4)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, 11, axis=1)
        score += 40 * int(np.sum(np.all(windows == pattern, axis=2)))
        score += 40 * int(np.sum(np.all(windows == pattern[::-1], axis=2)))
    blocks = m[:-1, :-1] == m[1:, :-1]
    blocks &= m[:-1, :-1] == m[:-1, 1:]
    blocks &= m[:-1, :-1] == m[1:, 1:]
    score += 3 * int(np.sum(blocks))
    percent = 100 * int(m.sum()) / m.size
    score += 10 * int(abs(percent - 50) // 5)
    return score


def qr_matrix(data: bytes) -> np.ndarray:
    """The smallest level-M QR code holding `data` (byte mode): (N, N) bool, True =
    dark. ValueError over capacity(MAX_VERSION) bytes."""
    version = next((v for v in range(1, MAX_VERSION + 1) if len(data) <= capacity(v)), None)
    if version is None:
        raise ValueError(f"{len(data)} bytes do not fit a QR code of version "
                         f"{MAX_VERSION} (at most {capacity(MAX_VERSION)})")
    total = _data_codewords(version)
    count_bits = 8 if version < 10 else 16
    bits = "0100" + format(len(data), f"0{count_bits}b") + "".join(f"{b:08b}" for b in data)
    bits += "0" * min(4, total * 8 - len(bits))
    bits += "0" * (-len(bits) % 8)
    words = [int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)]
    words += [0xEC, 0x11] * ((total - len(words)) // 2 + 1)
    words = words[:total]
    degree, groups = _BLOCKS_M[version]
    blocks, at = [], 0
    for count, size in groups:
        for _ in range(count):
            blocks.append(words[at:at + size])
            at += size
    ecc = [_ec_codewords(b, degree) for b in blocks]
    stream = [b[i] for i in range(max(map(len, blocks))) for b in blocks if i < len(b)]
    stream += [e[i] for i in range(degree) for e in ecc]
    stream_bits = np.unpackbits(np.array(stream, np.uint8)).astype(bool)
    base, reserved = _function_modules(version)
    rows, cols = _zigzag(version)
    placed = np.zeros(len(rows), bool)
    placed[:len(stream_bits)] = stream_bits[:len(rows)]
    best: tuple[int, np.ndarray] | None = None
    for kind in range(8):
        m = base.copy()
        m[rows, cols] = placed ^ _mask(kind, m.shape[0])[rows, cols]
        _format(m, kind)
        score = _penalty(m)
        if best is None or score < best[0]:
            best = (score, m)
    assert best is not None
    return best[1]


def qr_image(data: bytes, scale: int, quiet: int = 4) -> np.ndarray:
    """The code as a (S, S) uint8 image: 0 dark, 255 light, `scale` pixels a module,
    with a `quiet`-module light border."""
    m = np.pad(qr_matrix(data), quiet)
    return np.where(np.kron(m, np.ones((scale, scale), bool)), 0, 255).astype(np.uint8)
