"""The one table of record file formats: name -> detector, reader, writer.

Every command that reads records reads files through ``read_file`` (sources through
``litgraph.fetch.iter_records``, which uses it); every command that writes records writes them with
``RecordWriter``. ``sniff`` finds a file's format from its content (gzip-compressed or not, whatever its
name) by asking the detectors of ``FORMATS`` in table order; the checks before them turn what is no format
at all (a missing, empty or UTF-16 file, broken gzip, XML of another kind, a bare JSON value) into an
InputError that names the file.

| name         | reads                                        | writes (``--format``)       |
|--------------|----------------------------------------------|-----------------------------|
| pubmed-xml   | PubMed XML (baseline and update files)       |                             |
| bioc-xml     | a BioC XML collection                        | ``bioc``                    |
| jsonl        | litgraph records, one JSON object per line   | ``jsonl`` (deletions too)   |
| bioc-json    | a BioC JSON collection                       |                             |
| medline      | MEDLINE text (``PMID- ``)                    |                             |
| pubtator     | PubTator (``PMID|t|``, annotation lines)     | ``pubtator``                |
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from litgraph.connectors.files import GZIP_ERRORS, gzip_error, open_input
from litgraph.connectors.pubmed_xml import OnError
from litgraph.errors import InputError
from litgraph.records import Deletion, Record, check_record, from_json, to_json

log = logging.getLogger(__name__)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
HEAD_BYTES = 8192


@dataclass(frozen=True)
class Head:
    """What the detectors look at: a file's first (decompressed) bytes."""

    path: Path
    raw: bytes  # the first HEAD_BYTES bytes, decompressed
    start: bytes  # ``raw`` without a UTF-8 BOM and leading white space

    @property
    def xml_root(self) -> str | None:
        """The root element's name when the file is XML, else None."""
        if not self.start.startswith(b"<"):
            return None
        roots = [m.group(1) for m in _ROOT.finditer(self.start) if not m.group(0).startswith((b"<?", b"<!"))]
        return roots[0].decode("ascii", "replace") if roots else ""


@dataclass(frozen=True)
class Format:
    """A record file format: how to recognise it, read it, and (when litgraph writes it) its output name."""

    name: str
    detect: Callable[[Head], bool]
    read: Callable[[Path, "OnError | None"], Iterator[Record]]
    output: str | None = None  # its ``--format`` name when litgraph writes it
    #: a record that fails ``check_record`` is skipped and reported (PubMed XML, MEDLINE: one bad citation
    #: does not condemn a baseline file) instead of stopping the file
    skip_bad_records: bool = False


# ------------------------------------------------------------------------------------------ detectors

def _is_pubmed_xml(head: Head) -> bool:
    return head.xml_root in ("PubmedArticleSet", "PubmedBookArticleSet", "eFetchResult")


def _is_bioc_xml(head: Head) -> bool:
    return head.xml_root == "collection"


def _is_jsonl(head: Head) -> bool:
    start = head.start
    if start.startswith(b"{"):
        return _first_line_is_record(head.path)
    return start.startswith((b"[", b"null")) and b"\n" in start.strip() and _first_line_is_record(head.path)


def _is_bioc_json(head: Head) -> bool:
    return head.start.startswith((b"{", b"["))


def _is_medline(head: Head) -> bool:
    return re.match(rb"PMID- ", head.start) is not None


def _first_line_is_record(path: Path, lines: int = 5) -> bool:
    """True when one of the first non-blank lines is a whole litgraph record (a Document or Deletion), as
    ``litgraph fetch`` writes: a JSONL file, even if a line before it is broken (its error then names that line)."""
    heads = []
    try:
        with open_input(path, text=False) as handle:
            for raw in handle:
                if raw.strip():
                    heads.append(raw)
                if len(heads) >= lines or sum(map(len, heads)) > 1 << 20:
                    break
    except GZIP_ERRORS:
        pass  # the reader reports it
    for line in heads:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and "pmid" in value:
            return True
    return False


# -------------------------------------------------------------------------------------------- readers

def _read_pubmed_xml(path: Path, on_error: OnError | None) -> Iterator[Record]:
    from litgraph.connectors.pubmed_xml import read_pubmed_xml

    return read_pubmed_xml(path, on_error=on_error)


def _read_medline(path: Path, on_error: OnError | None) -> Iterator[Record]:
    from litgraph.connectors.medline import read_medline

    return read_medline(path, on_error=on_error)


def _read_pubtator(path: Path, on_error: OnError | None) -> Iterator[Record]:
    from litgraph.connectors.pubtator import read_pubtator

    return read_pubtator(path)


def _read_bioc_xml(path: Path, on_error: OnError | None) -> Iterator[Record]:
    from litgraph.connectors.bioc import read_bioc_xml

    return read_bioc_xml(path)


def _read_bioc_json(path: Path, on_error: OnError | None) -> Iterator[Record]:
    from litgraph.connectors.bioc import read_bioc_json

    return read_bioc_json(path)


def _read_jsonl(path: Path, on_error: OnError | None) -> Iterator[Record]:
    return read_jsonl(path)


def read_jsonl(path: Path) -> Iterator[Record]:
    """Stream the Documents and Deletions of a litgraph JSONL file (``fetch``/``extract --format jsonl``)."""
    with open_input(path) as handle:
        try:
            yield from read_jsonl_lines(handle, str(path))
        except GZIP_ERRORS as err:
            raise gzip_error(path, err) from err


def read_jsonl_lines(handle: Iterable[str], name: str) -> Iterator[Record]:
    """The records of JSONL text (a file, or standard input as ``<stdin>``), each checked: an InputError names
    the line of the first one that is not a sound litgraph record."""
    line_no = 0
    try:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = from_json(line)
            except (ValueError, TypeError) as err:
                raise InputError(
                    f"not a litgraph record ({err}); each line must be one JSON object as `litgraph fetch` writes",
                    path=name, line=line_no,
                ) from err
            reason = check_record(record)
            if reason:
                raise InputError(f"{reason}; fix or remove this record", path=name, line=line_no)
            yield record
    except UnicodeDecodeError as err:
        raise InputError(_not_utf8(err), path=name, line=line_no + 1) from err


def _not_utf8(err: UnicodeDecodeError) -> str:
    return (f"not UTF-8 text (byte {err.object[err.start:err.start + 1]!r} cannot be decoded); "
            "convert the file to UTF-8, e.g. with iconv")


#: The formats, in the order their detectors are asked (PubTator, the last, takes any other text).
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("pubmed-xml", _is_pubmed_xml, _read_pubmed_xml, skip_bad_records=True),
    Format("bioc-xml", _is_bioc_xml, _read_bioc_xml, output="bioc"),
    Format("jsonl", _is_jsonl, _read_jsonl, output="jsonl"),
    Format("bioc-json", _is_bioc_json, _read_bioc_json),
    Format("medline", _is_medline, _read_medline, skip_bad_records=True),
    Format("pubtator", lambda head: True, _read_pubtator, output="pubtator"),
)}
#: ``--format`` names of the formats litgraph writes.
OUTPUT_FORMATS = tuple(f.output for f in FORMATS.values() if f.output)


# ------------------------------------------------------------------------------------------- detection

def read_head(path: Path) -> Head:
    """A file's first bytes, decompressed; InputError for what no format can be (missing, empty, UTF-16/32, broken gzip)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as err:
        raise InputError(f"cannot open: {err.strerror}", path=str(path)) from err
    if not head.strip():
        raise InputError("the file is empty; download or write it again (or leave it out)", path=str(path))
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
                      (b"\xfe\xff", "UTF-16")):
        if head.startswith(bom):
            raise InputError(f"the file is {name} text; litgraph reads UTF-8: convert it, e.g. "
                             f"iconv -f {name} -t UTF-8", path=str(path))
    if head[:2] != b"\x1f\x8b" and path.name.lower().endswith(".gz"):
        raise InputError("named .gz but not gzip data; download the file again", path=str(path))
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, HEAD_BYTES)
        except zlib.error as err:
            raise InputError(f"corrupt gzip data ({err}); download the file again", path=str(path)) from err
        if not head.strip():
            raise InputError("the file is empty once decompressed; download or write it again", path=str(path))
    return Head(path, head, head.lstrip(b"\xef\xbb\xbf \t\r\n"))


def sniff(path: Path) -> str:
    """The format of a file, from its (decompressed) first bytes: a name in ``FORMATS``."""
    path = Path(path)
    head = read_head(path)
    root = head.xml_root
    for fmt in FORMATS.values():
        if root is not None and fmt.name not in ("pubmed-xml", "bioc-xml"):
            raise InputError(f"XML with root <{root}> is neither PubMed XML nor BioC (collection)", path=str(path))
        if fmt.name == "bioc-json":
            _refuse_bare_json(head)
        if fmt.detect(head):
            return fmt.name
    raise AssertionError("pubtator takes any text")  # pragma: no cover


def _refuse_bare_json(head: Head) -> None:
    """InputError for a small file that is one JSON value other than an object or array (not records)."""
    if len(head.raw) < HEAD_BYTES and not head.start.startswith((b"{", b"[")):
        try:
            value = json.loads(head.raw)
        except ValueError:
            return
        raise InputError(f"a JSON {type(value).__name__}, not records: give PubMed XML, MEDLINE, PubTator, "
                         "BioC or litgraph JSONL", path=str(head.path))


# --------------------------------------------------------------------------------------------- reading

def checked_records(records: Iterator[Record], path: Path, on_error: OnError | None, skip: bool) -> Iterator[Record]:
    """Records that pass ``check_record``. A bad record is skipped and passed to ``on_error`` when ``skip``
    (PubMed XML, MEDLINE: one bad citation does not condemn a baseline file), else stops the file."""
    for record in records:
        reason = check_record(record)
        if reason is None:
            yield record
        elif skip:
            log.warning("%s: PMID %s skipped: %s", path, record.pmid, reason)
            if on_error is not None:
                on_error(str(record.pmid), reason)
        else:
            raise InputError(f"{reason}; fix or remove this record", path=str(path), record=repr(record.pmid))


def read_file(path: Path, *, on_error: OnError | None = None) -> Iterator[Record]:
    """Stream the checked records of one file, whatever its format."""
    path = Path(path)
    fmt = FORMATS[sniff(path)]
    if fmt.name == "jsonl":
        return read_jsonl(path)  # checked line by line, so that an error names the line
    return checked_records(fmt.read(path, on_error), path, on_error, skip=fmt.skip_bad_records)


# --------------------------------------------------------------------------------------------- writing

class RecordWriter:
    """Writes records in one output format to a binary handle; ``written`` and ``skipped`` count them.

    A header, one chunk per record and a footer, so that an output can be cut back to a record boundary
    and continued (``fetch --out`` resumes interrupted online fetches that way). PubTator and BioC cannot
    express deletions: those are counted in ``skipped`` and not written.
    """

    def __init__(self, fmt: str, out: IO[bytes]) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        self.fmt, self.out = fmt, out
        self.written = self.skipped = 0

    def header(self) -> None:
        """Write what comes before the first record."""
        if self.fmt == "bioc":
            from litgraph.connectors.bioc import bioc_xml_header

            self.out.write(bioc_xml_header())

    def write(self, record: Record) -> None:
        """Write one record (deletions only in jsonl)."""
        if self.fmt == "jsonl":
            self.out.write(to_json(record).encode("utf-8") + b"\n")
        elif isinstance(record, Deletion):
            self.skipped += 1
            return
        elif self.fmt == "pubtator":
            from litgraph.connectors.pubtator import write_pubtator

            text = io.StringIO()
            write_pubtator([record], text)
            self.out.write(text.getvalue().encode("utf-8"))
        else:
            from litgraph.connectors.bioc import bioc_document_xml

            self.out.write(bioc_document_xml(record))
        self.written += 1

    def footer(self) -> None:
        """Write what comes after the last record."""
        if self.fmt == "bioc":
            from litgraph.connectors.bioc import BIOC_XML_FOOTER

            self.out.write(BIOC_XML_FOOTER)

    def write_all(self, records: Iterable[Record]) -> None:
        """Header, every record, footer."""
        self.header()
        for record in records:
            self.write(record)
        self.footer()


@contextlib.contextmanager
def record_output(out: Path | None, fmt: str, *, resume_at: int | None = None,
                  keep_part: Callable[[], bool] = lambda: False) -> Iterator[RecordWriter]:
    """A ``RecordWriter`` on standard output (``out`` None) or on ``OUT.part``, renamed to ``OUT`` when the
    block completes, so that a reader never sees half a file. The header is written first, or, with
    ``resume_at``, the part file is cut back to that byte and continued; the footer closes the block.
    When the block fails the part file is removed, unless ``keep_part()`` says to keep it (a resumable fetch).
    """
    if out is None:
        writer = RecordWriter(fmt, sys.stdout.buffer)
        writer.header()
        yield writer
        writer.footer()
        sys.stdout.buffer.flush()
        return
    out = Path(out)
    part = out.with_name(out.name + ".part")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = open(part, "r+b" if resume_at is not None else "wb")
    except OSError as err:
        raise InputError(f"cannot write here ({err.strerror}); choose a writable folder for --out", path=str(out)) from err
    writer = RecordWriter(fmt, handle)
    try:
        if resume_at is not None:
            handle.truncate(resume_at)
            handle.seek(resume_at)
        else:
            writer.header()
        yield writer
        writer.footer()
        handle.close()
        os.replace(part, out)
    except BaseException:
        handle.close()
        if not keep_part():
            part.unlink(missing_ok=True)
        raise
