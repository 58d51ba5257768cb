"""Source strings (``pubmed:QUERY``, ``pmid:1,2,3``, corpus names, files, folders) and file formats."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from connectors.pubmed_xml import OnError
from litgraph.errors import InputError
from litgraph.records import Record, from_json

#: File formats that ``read_file`` understands.
FORMATS = ("pubmed-xml", "medline", "pubtator", "bioc-xml", "bioc-json", "jsonl")
_SKIP = re.compile(r"^(\.|readme|license|licence)|\.(md5|md|tmp|part|cursor)$", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


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

    text = source.strip()
    prefix, sep, rest = text.partition(":")
    if sep and prefix == "pubmed":
        query = rest.strip().strip('"').strip()
        if not query:
            raise InputError(f"empty PubMed query in {source!r}; write pubmed:\"metformin AND lactic acidosis\"")
        return Source("query", query)
    if sep and prefix == "pmid":
        pmids = tuple(p.strip() for p in re.split(r"[,\s]+", rest) if p.strip())
        bad = [p for p in pmids if not p.isdigit()]
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
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 8192)
        except zlib.error as err:
            raise InputError(f"corrupt gzip data ({err}); download the file again", path=str(path)) from err
        compressed = True
    else:
        compressed = False
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<"):
        roots = [m.group(1) for m in _ROOT.finditer(start) if not m.group(0).startswith((b"<?", b"<!"))]
        root = roots[0].decode("ascii", "replace") if roots else ""
        if root in ("PubmedArticleSet", "PubmedBookArticleSet", "eFetchResult"):
            return "pubmed-xml"
        if root == "collection" and not compressed:
            return "bioc-xml"
        raise InputError(f"XML with root <{root}> is neither PubMed XML nor BioC (collection)", path=str(path))
    if compressed:
        raise InputError("only PubMed XML may be gzip-compressed; decompress the file first", path=str(path))
    if start.startswith(b"{") and _first_line_is_record(path):
        return "jsonl"
    if start.startswith((b"{", b"[")):
        return "bioc-json"
    if re.match(rb"PMID- ", start):
        return "medline"
    return "pubtator"


def _first_line_is_record(path: Path) -> bool:
    """True when the first non-blank line is a whole litgraph record (a Document or Deletion), as ``litgraph fetch`` writes."""
    with open(path, "rb") as handle:
        line = next((raw for raw in handle if raw.strip()), b"")
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and "pmid" in value


def read_jsonl(path: Path) -> Iterator[Record]:
    """Stream the Documents and Deletions of a litgraph JSONL file (``fetch``/``extract --format jsonl``)."""
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield from_json(line)
            except (ValueError, TypeError) as err:
                raise InputError(
                    f"not a litgraph record ({err}); each line must be one JSON object as `litgraph fetch` writes",
                    path=str(path), line=line_no,
                ) from err


def read_file(path: Path, *, on_error: OnError | None = None) -> Iterator[Record]:
    """Stream the records of one file, whatever its format."""
    fmt = sniff(path)
    if fmt == "pubmed-xml":
        from connectors.pubmed_xml import read_pubmed_xml

        return read_pubmed_xml(path, on_error=on_error)
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "medline":
        from connectors.medline import read_medline

        return read_medline(path, on_error=on_error)
    from connectors.annotated import read_annotated

    return read_annotated(path)

