"""The fetch layer: source strings in, ``Document`` and ``Deletion`` records out.

A source is ``pubmed:QUERY``, ``pmid:1,2,3``, a corpus name (``bc5cdr:train``), a PubMed
XML(.gz) / MEDLINE / PubTator / BioC file, or a folder of such files (read in name order, so
baseline files come before update files). Records that cannot be parsed inside a good file are
logged with their PMID and reported to ``on_error(pmid, reason)``; bad files raise InputError.
"""

from __future__ import annotations

import datetime
import logging
import sys
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from litgraph.connectors.eutils import Cursor, EUtils
from litgraph.connectors.pubmed_xml import OnError
from litgraph.errors import InputError
from litgraph.fetch.formats import checked_records, read_file
from litgraph.fetch.sources import Source, folder_files, parse_source
from litgraph.records import Deletion, Document
from litgraph.settings import Settings

log = logging.getLogger(__name__)

#: PMIDs per shard of an online source (one efetch batch each).
SHARD_SIZE = 500

__all__ = ["iter_records", "shards", "source_files", "is_online", "SHARD_SIZE", "Cursor"]


def is_online(source: str) -> bool:
    """True for ``pubmed:`` and ``pmid:`` sources (fetched from E-utilities)."""
    return source.strip().startswith(("pubmed:", "pmid:"))


def source_files(source: str) -> list[Path]:
    """The files a folder or file source reads, in reading order; empty for online sources."""
    if is_online(source):
        return []
    parsed = parse_source(source)
    if parsed.path.is_dir():
        return folder_files(parsed.path)
    return [parsed.path]


def iter_records(
    source: str,
    settings: Settings,
    *,
    since: datetime.date | None = None,
    progress: bool = True,
    on_error: OnError | None = None,
    cursor: Cursor | str | Path | None = None,
) -> Iterator[Document | Deletion]:
    """Stream the records of one source.

    ``since`` restricts ``pubmed:`` queries to records created or modified since that date
    (E-utilities ``datetype=mdat``); file, folder and ``pmid:`` sources ignore it. ``on_error``
    receives ``(pmid, reason)`` for each record that could not be parsed. ``cursor`` (a path or a
    :class:`Cursor`) makes an online fetch resumable: rerun with the same cursor to continue.
    """
    parsed = parse_source(source, settings)
    if parsed.kind in ("query", "pmids"):
        client = EUtils.from_settings(settings)
        if cursor is not None and not isinstance(cursor, Cursor):
            cursor = Cursor(cursor)
        if parsed.kind == "query":
            records = client.fetch_query(parsed.value, since=since, cursor=cursor, on_error=on_error, progress=progress)
        else:
            records = client.fetch_pmids(parsed.pmids, cursor=cursor, on_error=on_error, progress=progress)
        return checked_records(records, Path("pubmed"), on_error, skip=True)  # a bad record is skipped and reported
    return _iter_files(parsed, progress, on_error)


def _iter_files(parsed: Source, progress: bool, on_error: OnError | None) -> Iterator[Document | Deletion]:
    files = folder_files(parsed.path) if parsed.path.is_dir() else [parsed.path]
    if not files:
        raise InputError("no data files in this folder (hidden files, .md5, README and LICENSE are skipped); "
                         "give a folder of PubMed XML, MEDLINE, PubTator or BioC files", path=str(parsed.path))
    for path in files:
        bar = tqdm(desc=path.name, unit="rec", disable=not progress, file=sys.stderr, leave=False)
        try:
            for record in read_file(path, on_error=on_error):
                bar.update()
                yield record
        finally:
            bar.close()


def shards(source: str, settings: Settings) -> list[str]:
    """Independent sub-sources for a distributed engine, each a valid source string.

    A folder gives one shard per file; a file or corpus one shard; ``pmid:`` lists are cut into
    batches of ``SHARD_SIZE``; a query is searched once (date-split past 10,000 hits) and its PMIDs
    batched the same way.
    """
    parsed = parse_source(source, settings)
    if parsed.kind == "path":
        return [str(p) for p in source_files(source)]
    if parsed.kind == "corpus":
        return [source]
    pmids = list(parsed.pmids) if parsed.kind == "pmids" else EUtils.from_settings(settings).search_pmids(parsed.value)
    return ["pmid:" + ",".join(pmids[i:i + SHARD_SIZE]) for i in range(0, len(pmids), SHARD_SIZE)]
