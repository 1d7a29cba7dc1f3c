"""The safetensors layer of a checkpoint: its 8-byte length, JSON header and tensor entries, every
offset checked against the file's size before anything is decoded (``checkpoint_schema.py`` then
checks our metadata and the entries against it). Failures are :class:`Invalid`, one line each."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

from sae_desktop.json_values import is_int

MAX_HEADER_BYTES = 64 * 1024 * 1024
DTYPE_BYTES = {"F32": 4, "F16": 2}


class Invalid(ValueError):
    """The bytes are not a valid checkpoint; the message is one line."""


@dataclass(frozen=True)
class Entry:
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


def sniff(data: bytes) -> str | None:
    """What a file that is not safetensors is, when that is worth saying (a pickle, a zip)."""
    if data[8:9] == b"{":  # a safetensors JSON header follows its 8-byte length (which may start with 0x80 0x02)
        return None
    if data[:4] == b"PK\x03\x04":
        return "it is a zip archive (e.g. a PyTorch .pt file); only safetensors files are read, never pickles"
    if data[:1] == b"\x80" and len(data) > 1 and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "it is a Python pickle; pickles can run code and are never loaded"
    return None


def parse_header(data: bytes) -> tuple[dict[str, Entry], dict[str, str]]:
    """The tensor entries and the metadata of a safetensors file, every offset checked."""
    if len(data) == 0:
        raise Invalid("the file is empty")
    sniffed = sniff(data)
    if sniffed:
        raise Invalid(sniffed)
    if len(data) < 8:
        raise Invalid(f"the file is truncated ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n < 2 or n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise Invalid("not a safetensors file, or truncated (bad header length)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise Invalid("not a safetensors file (header is not JSON, or nested too deeply)") from None
    if not isinstance(header, dict):
        raise Invalid("not a safetensors file (header is not an object)")
    meta = header.pop("__metadata__", None)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise Invalid("corrupt header: __metadata__ should map names to strings")
    body = len(data) - 8 - n
    entries = {name: _entry(name, info) for name, info in header.items()}
    spans = sorted((e.start, e.end, name) for name, e in entries.items())
    end = 0
    for start, stop, name in spans:
        if start < end:
            raise Invalid(f"corrupt offsets for {name!r} (tensors overlap)")
        end = stop
    if end > body:
        raise Invalid(f"the file is truncated ({body} data bytes, header needs {end})")
    return entries, meta


def _entry(name: str, info: Any) -> Entry:
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise Invalid(f"corrupt header entry for {name[:60]!r}")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise Invalid(f"tensor {name[:60]!r} has unsupported dtype {str(dtype)[:20]!r}")
    if not isinstance(shape, list) or len(shape) > 8 or not all(is_int(d) and 0 <= d < 2**31 for d in shape):
        raise Invalid(f"corrupt shape for {name[:60]!r}")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(is_int(o) and o >= 0 for o in offsets):
        raise Invalid(f"corrupt offsets for {name[:60]!r} (need two non-negative integers)")
    start, end = offsets
    if end - start != math.prod(shape) * DTYPE_BYTES[dtype]:
        raise Invalid(f"corrupt offsets for {name[:60]!r} (they do not match its shape)")
    return Entry(dtype, tuple(shape), start, end)
