"""Which units of work a build or refresh must run, from the sources and the ledger.

A unit is a file of a file/folder source (in apply order), a Ray shard, or an online source
(``pubmed:``/``pmid:``) as a whole. ``build`` runs every unit that is not finished with the same
fingerprint and model versions; ``refresh`` runs new or changed files, fetches online sources since
their watermark and, with ``reextract``, re-reads units processed by other model versions. Both read
again a unit in which records failed to extract or load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from litgraph.connectors.eutils import MISSING as _MISSING
from litgraph.pipeline.ledger import SourceEntry, Unit, file_fingerprint


@dataclass
class Work:
    """One unit to run: what to read, what to record, where to resume."""

    entry: SourceEntry
    unit: str  # ledger key of the unit
    read: str  # the source string handed to the fetch layer
    fingerprint: dict[str, Any]
    online: bool
    since: date | None = None
    resume_at: int = 0  # records already done by an interrupted run of the same unit (skipped unread)
    resumed: bool = False  # an interrupted run of the same unit, input and models left it unfinished
    models_changed: bool = False  # the unit was processed before by other model versions
    state: Unit = field(default_factory=Unit)


def units_of(source: str, settings, engine: str) -> list[tuple[str, str, dict[str, Any], bool]]:
    """``(unit, read, fingerprint, online)`` for each unit of a source, in apply order."""
    from litgraph import fetch

    if engine == "ray":
        out = []
        for shard in fetch.shards(source, settings):
            path = Path(shard)
            if path.is_file():
                out.append((str(path.resolve()), shard, file_fingerprint(path), False))
            else:
                out.append((shard, shard, {"shard": shard}, not path.exists()))
        return out
    if fetch.is_online(source):
        return [(source, source, {"source": source}, True)]
    return [(str(Path(f).resolve()), str(f), file_fingerprint(f), False) for f in fetch.source_files(source)]


def plan(entry: SourceEntry, units, versions: list[str], *, mode: str, reextract: bool = False) -> tuple[list[Work], list[Unit]]:
    """The work to run for one source, and the units skipped as up to date.

    ``mode`` is ``build`` or ``refresh``.
    """
    work, skipped = [], []
    for name, read, fingerprint, online in units:
        old = entry.units.get(name)
        same_input = old is not None and old.fingerprint == fingerprint
        same_models = old is not None and old.models == versions
        # Records that failed in extraction or loading may succeed now (a store that was down, a fixed
        # model): such a unit is read again; what is in the graph already is skipped by its hash.
        # So may records E-utilities never delivered (``litgraph.connectors.eutils.MISSING``).
        retry = old is not None and any(f.get("stage") in ("extract", "load") or f.get("reason") == _MISSING
                                        for f in old.failures)
        since = None
        if mode == "build":
            needed = retry or not (old and old.done and same_input and same_models)
        elif online:
            needed = True
            if not reextract and entry.watermark:
                since = date.fromisoformat(entry.watermark)
        else:
            needed = retry or not (old and old.done and same_input) or (reextract and not same_models)
        if not needed:
            skipped.append(old)
            continue
        resumed = same_input and same_models and not old.done
        state = old if resumed else Unit(fingerprint=fingerprint, models=list(versions))
        resume_at = state.cursor if resumed and not online else 0
        changed = old is not None and bool(old.models) and not same_models
        work.append(Work(entry, name, read, fingerprint, online, since, resume_at, resumed, changed, state))
    return work, skipped
