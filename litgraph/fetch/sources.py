"""Source strings: ``pubmed:QUERY``, ``pmid:1,2,3``, corpus names, files and folders (file formats: ``formats``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from litgraph.errors import InputError
from litgraph.records import valid_pmid

_SKIP = re.compile(r"^(\.|readme|license|licence)|\.(md5|md|tmp|part|cursor)$", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """A parsed source string: ``kind`` is query, pmids, corpus or path."""

    kind: str
    value: str
    pmids: tuple[str, ...] = ()
    path: Path | None = None


def parse_source(source: str, settings=None) -> Source:
    """Classify a source string; InputError when it is none of the accepted forms."""
    from litgraph.fetch.corpora import CORPORA, resolve

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
