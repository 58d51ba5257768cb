"""Opening the files the connectors read: gzip found by content, UTF-8 text, the error of a broken gzip."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import IO

from litgraph.errors import InputError

#: What a truncated or corrupt gzip stream raises while it is read.
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def open_input(path: str | Path, *, text: bool = True) -> IO:
    """A handle on a file, gzip-decompressed when its content is gzip (whatever its name); text handles are
    UTF-8 with newlines kept as written. OSError when it cannot be opened."""
    raw = open(path, "rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        raw = gzip.GzipFile(fileobj=raw, mode="rb")
    else:
        raw.seek(0)
    return io.TextIOWrapper(raw, encoding="utf-8", newline="") if text else raw


def gzip_error(path: str | Path, err: BaseException) -> InputError:
    """The InputError of a truncated or corrupt gzip file."""
    return InputError(f"corrupt or truncated gzip data ({err}); download or compress the file again", path=str(path))
