"""Read annotated documents from PubTator, BioC XML or BioC JSON, chosen by the file's content."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import IO, Iterator

from litgraph.errors import InputError
from litgraph.records import Document


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


def sniff_format(path: str | Path) -> str:
    """``pubtator``, ``bioc-xml`` or ``bioc-json``, from the first non-blank character of the file."""
    try:
        with open_input(path, text=False) as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except GZIP_ERRORS as err:
        raise gzip_error(path, err) from err
    except OSError as err:
        raise InputError(f"cannot open annotated file: {err.strerror}", path=str(path)) from err
    if head.startswith(b"<"):
        return "bioc-xml"
    if head.startswith((b"{", b"[")):
        return "bioc-json"
    return "pubtator"


def read_annotated(path: str | Path) -> Iterator[Document]:
    """Stream the documents of an annotated corpus file, whatever its format."""
    fmt = sniff_format(path)
    if fmt == "pubtator":
        from connectors.pubtator import read_pubtator

        return read_pubtator(path)
    from connectors import bioc

    return bioc.read_bioc_xml(path) if fmt == "bioc-xml" else bioc.read_bioc_json(path)
