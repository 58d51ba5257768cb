"""The build ledger, kept in the graph's own metadata so that it lives and dies with the graph.

For every source given to ``litgraph build`` the ledger records what kind of source it is, the
E-utilities watermark of online sources and, per unit of work (a file of a folder, a Ray shard, or
the online source itself), its fingerprint, the model versions that processed it, how many records
are done (the resume cursor) and the records that failed. A unit's entry is written only after the
batch it describes is in the graph, so a build killed at any point resumes from the last durable
batch. Per-article content hashes and model versions are kept by the store on the article nodes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

INDEX_KEY = "pipeline.sources"
SOURCE_KEY = "pipeline.source:"


@dataclass
class Unit:
    """Progress of one unit of work (a file, a shard or an online source)."""

    fingerprint: dict[str, Any] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    cursor: int = 0  # records fully processed (durably in the graph)
    batch: int = 0  # records per batch of the run that wrote the cursor
    done: bool = False
    records: int = 0  # records read by the run that finished the unit
    failures: list[dict[str, str]] = field(default_factory=list)
    failed: str | None = None  # why the last run stopped in this unit (a bad file); its records before the fault are kept


@dataclass
class SourceEntry:
    """What the ledger knows about one source."""

    source: str
    online: bool = False
    watermark: str | None = None  # ISO date: records since then are fetched on refresh
    last_run: str | None = None
    units: dict[str, Unit] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SourceEntry":
        data = json.loads(text)
        data["units"] = {name: Unit(**unit) for name, unit in data.get("units", {}).items()}
        return cls(**data)


def canonical_source(source: str, settings=None) -> str:
    """The ledger key of a source: absolute path for files, folders and corpus names (``bc5cdr:dev``),
    the string itself otherwise (``pubmed:``, ``pmid:``)."""
    from litgraph.fetch.corpora import CORPORA, resolve

    name, sep, _split = source.partition(":")
    if sep and name in CORPORA:
        return str(resolve(source, settings).path.resolve())
    path = Path(source).expanduser()
    if path.exists():
        return str(path.resolve())
    return source


def file_fingerprint(path: str | os.PathLike) -> dict[str, Any]:
    """Size and modification time of a file: cheap, and changes whenever its content is replaced."""
    stat = os.stat(path)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def models_key(models: Any) -> list[str]:
    """Model versions as a sorted list, whether given as a dict, a list or one string."""
    if not models:
        return []
    if isinstance(models, str):
        return [models]
    if isinstance(models, dict):
        models = models.values()
    return sorted({str(m) for m in models if m})


class Ledger:
    """Read and write the ledger through a store's ``get_meta``/``set_meta``."""

    def __init__(self, store):
        self.store = store

    def sources(self) -> list[str]:
        """Sources recorded so far, in the order they were first built."""
        raw = self.store.get_meta(INDEX_KEY)
        return json.loads(raw) if raw else []

    def get(self, source: str) -> SourceEntry | None:
        raw = self.store.get_meta(SOURCE_KEY + source)
        return SourceEntry.from_json(raw) if raw else None

    def entry(self, source: str, *, online: bool) -> SourceEntry:
        """The source's entry, created (and added to the index) when it is new."""
        found = self.get(source)
        if found is not None:
            return found
        entry = SourceEntry(source=source, online=online)
        self.save(entry)
        known = self.sources()
        if source not in known:
            self.store.set_meta(INDEX_KEY, json.dumps(known + [source]))
        return entry

    def failed_units(self) -> list[dict[str, Any]]:
        """Units whose last run stopped on a bad file: ``{"source", "unit", "reason", "records_kept"}`` each.
        Their records before the fault are in the graph; the next build or refresh reads them again."""
        out = []
        for source in self.sources():
            entry = self.get(source)
            for name, unit in (entry.units.items() if entry else ()):
                if unit.failed and not unit.done:
                    out.append({"source": source, "unit": name, "reason": unit.failed, "records_kept": unit.cursor})
        return out

    def save(self, entry: SourceEntry) -> None:
        """Write one source's entry (call only after the work it records is in the graph)."""
        self.store.set_meta(SOURCE_KEY + entry.source, entry.to_json())
