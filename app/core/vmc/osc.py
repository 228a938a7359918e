"""Open Sound Control 1.0 encoding: messages and bundles as bytes (pure, no socket).

Only what the app sends: int32 (`i`), float32 (`f`) and string (`s`) arguments, and
bundles of messages with the "immediately" time tag. Everything is big-endian; strings
and type tags end with a NUL and are padded with NULs to a multiple of 4 bytes.

For a message sent every frame with the same address and strings, `Template` encodes
it once with its floats as slots (`SLOT`) and remembers where each slot's 4 bytes are,
so a frame only writes its floats into a copy (one numpy assignment for all of them).
"""
from __future__ import annotations

import struct
from typing import Sequence, Union

import numpy as np

BUNDLE_TAG = b"#bundle\x00"
IMMEDIATELY = 1  # the OSC time tag that means "now" (NTP seconds 0, fraction 1)


class _Slot:
    """A float argument whose value is filled in per frame (see Template)."""

    def __repr__(self) -> str:
        return "SLOT"


SLOT = _Slot()
Arg = Union[int, float, str, _Slot]


def osc_string(text: str) -> bytes:
    """UTF-8, NUL-terminated, padded to 4 bytes. A NUL inside would end the string
    early on the receiving side: ValueError."""
    raw = text.encode("utf-8")
    if b"\x00" in raw:
        raise ValueError(f"an OSC string cannot hold NUL: {text!r}")
    return raw + b"\x00" * (4 - len(raw) % 4)


def encode_message(address: str, args: Sequence[Arg] = ()) -> tuple[bytes, list[int]]:
    """One message's bytes and the byte offsets of its SLOT arguments (written as 0.0).

    bool and int are `i` (int32: OverflowError outside its range), float and SLOT are
    `f` (float32), str is `s`."""
    if not address.startswith("/"):
        raise ValueError(f"an OSC address starts with '/': {address!r}")
    tags = ","
    body = bytearray()
    slots: list[int] = []
    for arg in args:
        if isinstance(arg, _Slot):
            tags += "f"
            slots.append(len(body))
            body += b"\x00\x00\x00\x00"
        elif isinstance(arg, (bool, int)):
            if not -2**31 <= int(arg) < 2**31:
                raise OverflowError(f"{arg} does not fit an OSC int32")
            tags += "i"
            body += struct.pack(">i", int(arg))
        elif isinstance(arg, float):
            tags += "f"
            body += struct.pack(">f", arg)
        elif isinstance(arg, str):
            tags += "s"
            body += osc_string(arg)
        else:
            raise TypeError(f"no OSC type for {type(arg).__name__}")
    head = osc_string(address) + osc_string(tags)
    return head + bytes(body), [len(head) + offset for offset in slots]


def message(address: str, *args: int | float | str) -> bytes:
    """One OSC message (no slots)."""
    return encode_message(address, args)[0]


def bundle(elements: Sequence[bytes], timetag: int = IMMEDIATELY) -> bytes:
    """An OSC bundle of already encoded messages (or bundles), each prefixed by its size."""
    out = bytearray(BUNDLE_TAG + struct.pack(">Q", timetag))
    for element in elements:
        out += struct.pack(">i", len(element)) + element
    return bytes(out)


class Template:
    """A fixed sequence of messages whose float SLOTs change per frame, laid out once
    either as one bundle or as separate messages (one datagram each).

    `fill(values)` takes the slots' values in order (float32, NaN and infinities sent
    as they are: the caller decides what is finite) and returns the datagrams.
    """

    def __init__(self, messages: Sequence[tuple[str, Sequence[Arg]]], as_bundle: bool) -> None:
        encoded = [encode_message(address, args) for address, args in messages]
        offsets: list[int] = []
        spans: list[tuple[int, int]] = []
        if as_bundle:
            buffer = bytearray(BUNDLE_TAG + struct.pack(">Q", IMMEDIATELY))
        else:
            buffer = bytearray()
        for data, slots in encoded:
            if as_bundle:
                buffer += struct.pack(">i", len(data))
            start = len(buffer)
            buffer += data
            spans.append((start, len(buffer)))
            offsets += [start + slot for slot in slots]
        self.as_bundle = as_bundle
        self.slots = len(offsets)
        self._buffer = np.frombuffer(bytes(buffer), np.uint8).copy()
        self._index = (np.asarray(offsets, np.intp)[:, None] + np.arange(4)).ravel()
        self._spans = [(0, len(buffer))] if as_bundle else spans

    def fill(self, values: np.ndarray) -> list[bytes]:
        """The datagrams with `values` ((slots,) numbers) in the slots."""
        if self.slots:
            self._buffer[self._index] = np.asarray(values, ">f4").view(np.uint8)
        data = self._buffer.tobytes()
        if self.as_bundle:
            return [data]
        return [data[a:b] for a, b in self._spans]
