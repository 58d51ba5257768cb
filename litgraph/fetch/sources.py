"""Source strings (``pubmed:QUERY``, ``pmid:1,2,3``, corpus names, files, folders) and file formats."""

from __future__ import annotations

import json
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from connectors.pubmed_xml import OnError
from litgraph.errors import InputError
from litgraph.records import Record, check_record, from_json, valid_pmid

#: File formats that ``read_file`` understands.
FORMATS = ("pubmed-xml", "medline", "pubtator", "bioc-xml", "bioc-json", "jsonl")
_SKIP = re.compile(r"^(\.|readme|license|licence)|\.(md5|md|tmp|part|cursor)$", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """A parsed source string: ``kind`` is query, pmids, corpus or path."""

    kind: str
    value: str
    pmids: tuple[str, ...] = ()
    path: Path | None = None


def parse_source(source: str, settings=None) -> Source:
    """Classify a source string; InputError when it is none of the accepted forms."""
    from litgraph.corpora import CORPORA, resolve

    if not isinstance(source, str) or not source.strip():
        raise InputError("empty source: give pubmed:\"QUERY\", pmid:1,2,3, a corpus name (bc5cdr:train), a file or a "
                         "folder (write ./ for the current folder)")
    text = source.strip()
    prefix, sep, rest = text.partition(":")
    if sep and prefix == "pubmed":
        query = rest.strip().strip('"').strip()
        if not query:
            raise InputError(f"empty PubMed query in {source!r}; write pubmed:\"metformin AND lactic acidosis\"")
        return Source("query", query)
    if sep and prefix == "pmid":
        if rest.strip().startswith("@"):  # pmid:@FILE: one PMID per line, # comments (e.g. a PATH.missing file)
            rest = _pmid_file(Path(rest.strip()[1:]).expanduser())
        pmids = tuple(p.strip() for p in re.split(r"[,\s]+", rest) if p.strip())
        bad = [p for p in pmids if not valid_pmid(p)]
        if not pmids or bad:
            raise InputError(f"{source!r}: PMIDs must be numbers separated by commas, e.g. pmid:31452104,29323299")
        return Source("pmids", rest, pmids=tuple(dict.fromkeys(pmids)))
    if sep and prefix in CORPORA:
        return Source("corpus", text, path=resolve(text, settings).path)
    path = Path(text).expanduser()
    if path.exists():
        return Source("path", text, path=path)
    raise InputError(
        f"{source!r} is not a source: use pubmed:\"QUERY\", pmid:1,2,3, a corpus name (bc5cdr:train) "
        "or an existing PubMed XML / MEDLINE / PubTator / BioC file or folder"
    )


def _pmid_file(path: Path) -> str:
    """The PMIDs of a file, one per line (``#`` starts a comment), as a comma-separated list."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the PMID list ({getattr(err, 'strerror', None) or err}); "
                         "give a text file with one PMID per line", path=str(path)) from err
    pmids = []
    for line_no, line in enumerate(lines, start=1):
        value = line.split("#", 1)[0].strip()
        if value and not (value.isascii() and value.isdigit() and int(value) > 0):
            raise InputError(f"{value!r} is not a PMID (a positive whole number)", path=str(path), line=line_no)
        if value:
            pmids.append(value)
    if not pmids:
        raise InputError("the PMID list is empty", path=str(path))
    return ",".join(pmids)


def folder_files(folder: Path) -> list[Path]:
    """The data files directly inside a folder, in name order (``.md5``, README, hidden files skipped)."""
    return sorted((p for p in folder.iterdir() if p.is_file() and not _SKIP.search(p.name)), key=lambda p: p.name)


def sniff(path: Path) -> str:
    """The format of a file, from its (decompressed) first bytes: one of ``FORMATS``."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
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
            head = zlib.decompressobj(wbits=31).decompress(head, 8192)
        except zlib.error as err:
            raise InputError(f"corrupt gzip data ({err}); download the file again", path=str(path)) from err
        if not head.strip():
            raise InputError("the file is empty once decompressed; download or write it again", path=str(path))
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<"):
        roots = [m.group(1) for m in _ROOT.finditer(start) if not m.group(0).startswith((b"<?", b"<!"))]
        root = roots[0].decode("ascii", "replace") if roots else ""
        if root in ("PubmedArticleSet", "PubmedBookArticleSet", "eFetchResult"):
            return "pubmed-xml"
        if root == "collection":
            return "bioc-xml"
        raise InputError(f"XML with root <{root}> is neither PubMed XML nor BioC (collection)", path=str(path))
    if start.startswith((b"{", b"[", b"null")) and b"\n" in start.strip() and _first_line_is_record(path):
        return "jsonl"
    if len(head) < 8192 and not start.startswith((b"{", b"[")):
        try:
            value = json.loads(head)
        except ValueError:
            pass
        else:
            raise InputError(f"a JSON {type(value).__name__}, not records: give PubMed XML, MEDLINE, PubTator, "
                             "BioC or litgraph JSONL", path=str(path))
    if start.startswith(b"{") and _first_line_is_record(path):
        return "jsonl"
    if start.startswith((b"{", b"[")):
        return "bioc-json"
    if re.match(rb"PMID- ", start):
        return "medline"
    return "pubtator"


def _first_line_is_record(path: Path, lines: int = 5) -> bool:
    """True when one of the first non-blank lines is a whole litgraph record (a Document or Deletion), as
    ``litgraph fetch`` writes: a JSONL file, even if a line before it is broken (its error then names that line)."""
    from connectors.annotated import GZIP_ERRORS, open_input

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


def read_jsonl(path: Path) -> Iterator[Record]:
    """Stream the Documents and Deletions of a litgraph JSONL file (``fetch``/``extract --format jsonl``)."""
    from connectors.annotated import GZIP_ERRORS, gzip_error, open_input

    with open_input(path) as handle:
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
                        path=str(path), line=line_no,
                    ) from err
                reason = check_record(record)
                if reason:
                    raise InputError(f"{reason}; fix or remove this record", path=str(path), line=line_no)
                yield record
        except UnicodeDecodeError as err:
            raise InputError(_not_utf8(err), path=str(path), line=line_no + 1) from err
        except GZIP_ERRORS as err:
            raise gzip_error(path, err) from err


def _not_utf8(err: UnicodeDecodeError) -> str:
    return (f"not UTF-8 text (byte {err.object[err.start:err.start + 1]!r} cannot be decoded); "
            "convert the file to UTF-8, e.g. with iconv")


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
    """Stream the records of one file, whatever its format."""
    fmt = sniff(path)
    if fmt == "pubmed-xml":
        from connectors.pubmed_xml import read_pubmed_xml

        return checked_records(read_pubmed_xml(path, on_error=on_error), path, on_error, skip=True)
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "medline":
        from connectors.medline import read_medline

        return checked_records(read_medline(path, on_error=on_error), path, on_error, skip=True)
    from connectors.annotated import read_annotated

    return checked_records(read_annotated(path), path, on_error, skip=False)

