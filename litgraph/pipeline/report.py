"""The end-of-build report: counts, timings and every record that failed, with its PMID and reason."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field


@dataclass
class Failure:
    """A record that did not make it into the graph."""

    pmid: str | None
    source: str
    stage: str  # fetch, extract, load
    reason: str


@dataclass
class BuildReport:
    """What a build or refresh did. ``to_dict`` is the ``--format json`` output."""

    command: str = "build"
    engine: str = "local"
    graph: str = ""
    sources: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    units_total: int = 0
    units_processed: int = 0
    units_skipped: int = 0
    records_read: int = 0
    records_resumed: int = 0  # skipped by the resume cursor (done by an interrupted run)
    articles_loaded: int = 0  # extracted and written (new, revised or re-extracted)
    articles_unchanged: int = 0  # same content hash and model versions: not touched
    articles_updated: int = 0  # revised, same title, abstract and models: Article node rewritten, not re-extracted
    articles_deleted: int = 0
    deletions_seen: int = 0
    failures: list[Failure] = field(default_factory=list)  # includes those recorded for skipped units
    seconds: float = 0.0
    stage_seconds: dict = field(default_factory=lambda: {"fetch": 0.0, "check": 0.0, "extract": 0.0, "load": 0.0})
    store: dict = field(default_factory=dict)  # store.stats() after the run
    _started: float = field(default_factory=time.monotonic, repr=False)

    def skipped(self, units) -> None:
        """Count units that were up to date; the failures recorded for them stay in the report."""
        self.units_skipped += len(units)
        for unit in units:
            self.failures += [Failure(**f) for f in unit.failures]

    def timed(self, stage: str, started: float) -> None:
        """Add the time since ``started`` (``time.perf_counter()``) to a stage."""
        self.stage_seconds[stage] += time.perf_counter() - started

    def finish(self, stats: dict | None = None) -> "BuildReport":
        self.seconds = round(time.monotonic() - self._started, 3)
        self.stage_seconds = {k: round(v, 3) for k, v in self.stage_seconds.items()}
        if stats is not None:
            self.store = stats
        return self

    @property
    def abstracts_per_second(self) -> float:
        return round(self.articles_loaded / self.seconds, 2) if self.seconds else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("_started")
        data["abstracts_per_second"] = self.abstracts_per_second
        return data

    def summary(self) -> str:
        """A short human-readable report, failures listed one per line."""
        lines = [
            f"{self.command}: {len(self.sources)} source(s), {self.units_processed} unit(s) processed, "
            f"{self.units_skipped} already up to date",
            f"records read {self.records_read} (resumed past {self.records_resumed}); articles loaded "
            f"{self.articles_loaded}, updated without extraction {self.articles_updated}, unchanged "
            f"{self.articles_unchanged}, deleted {self.articles_deleted}",
            f"time {self.seconds:.1f} s ({self.abstracts_per_second} abstracts/s; "
            + ", ".join(f"{k} {v:.1f} s" for k, v in self.stage_seconds.items()) + f"); graph {self.graph}",
        ]
        if self.store:
            lines.append(f"graph now holds {self.store.get('articles', '?')} articles")
        if self.failures:
            lines.append(f"{len(self.failures)} record(s) failed:")
            lines += [f"  PMID {f.pmid or '?'} [{f.stage}] {f.source}: {f.reason}" for f in self.failures]
        else:
            lines.append("no failures")
        return "\n".join(lines)
