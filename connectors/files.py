"""Opening the files the connectors read: gzip found by content, UTF-8 text, the error of a broken gzip, and
streaming the elements of an XML file."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import IO, Iterator

from lxml import etree

from litgraph.errors import InputError

#: What a truncated or corrupt gzip stream raises while it is read.
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
#: Most bytes read and fed to an XML parser at a time (a truncated gzip stream loses only its last, partial read).
XML_READ_BYTES = 1 << 16


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


class XmlElements:
    """The finished elements with one of ``tags`` of a binary XML stream, one at a time, each cleared and unlinked
    from the tree once the caller moves on, so memory stays flat; ``root`` is the document element once the
    iteration has ended. ``options`` go to ``lxml.etree.XMLPullParser``.

    The stream is fed ``XML_READ_BYTES`` at a time. When the XML or the gzip stream breaks off, the elements
    finished before the break are yielded first, then the ``XMLSyntaxError`` or gzip error is raised (lxml 6.2's
    ``iterparse`` raised before handing over the elements of the buffer the error was in).
    """

    def __init__(self, handle: IO[bytes], tags: str | tuple[str, ...], **options) -> None:
        self._handle = handle
        self._parser = etree.XMLPullParser(events=("end",), tag=tags, **options)
        self.root = None

    def _finished(self) -> Iterator:
        for _, elem in self._parser.read_events():
            yield elem
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            while elem.getprevious() is not None:
                del parent[0]

    def __iter__(self) -> Iterator:
        read = getattr(self._handle, "read1", self._handle.read)  # what is there, up to XML_READ_BYTES
        try:
            while chunk := read(XML_READ_BYTES):
                try:
                    self._parser.feed(chunk)
                except etree.XMLSyntaxError:
                    yield from self._finished()  # the elements completed before the error
                    raise
                yield from self._finished()
        except GZIP_ERRORS:
            yield from self._finished()
            raise
        # a stream that ends inside an element fails here; lxml 6.2 then reports that element (and its parents) as
        # finished, so nothing more is handed over
        self.root = self._parser.close()
        yield from self._finished()
