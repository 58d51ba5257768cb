"""``build`` and ``refresh``: plan the units from the sources and the ledger, run them on an engine."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from litgraph import fetch
from litgraph.errors import InputError
from litgraph.pipeline.ledger import Ledger, canonical_source
from litgraph.pipeline.loader import BatchLoader
from litgraph.pipeline.models import Models
from litgraph.pipeline.plan import plan, units_of
from litgraph.pipeline.report import BuildReport
from litgraph.settings import Settings

ENGINES = ("local", "ray")


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")


def _loader(store, report, models: Models, *, batch_size: int | None, prepared: bool) -> BatchLoader:
    from litgraph.store import content_hash

    return BatchLoader(store, report, versions=models.versions,
                       annotator=None if prepared else (lambda: models.annotator),
                       concept=models.concept, batch_size=batch_size, content_hash=content_hash)


def _run(command: str, settings: Settings, models: Models, planner, *, engine: str, ray_address: str | None,
         workers: int | None, batch_size: int | None, progress: bool) -> BuildReport:
    from litgraph.store import open_store

    _check_engine(engine)
    report = BuildReport(command=command, engine=engine, graph=settings.graph)
    with open_store(settings) as store:
        ledger = Ledger(store)
        report.models = models.versions
        works = planner(ledger, report)
        report.units_total = len(works) + report.units_skipped
        if engine == "ray" and works:
            from litgraph.pipeline.ray_engine import run_ray

            loader = _loader(store, report, models, batch_size=batch_size and max(batch_size, 1000), prepared=True)
            run_ray(works, settings, models, loader, ledger, report, address=ray_address, workers=workers,
                    progress=progress)
        elif works:
            from litgraph.pipeline.local import run_local

            loader = _loader(store, report, models, batch_size=batch_size, prepared=False)
            run_local(works, settings, loader, ledger, report, progress=progress)
        return report.finish(store.stats())


def build(sources: Sequence[str], settings: Settings, *, model_dirs=None, annotated: bool = False, int8: bool = False,
          engine: str = "local", ray_address: str | None = None, workers: int | None = None,
          batch_size: int | None = None, progress: bool = True) -> BuildReport:
    """Fetch, extract, normalise and load ``sources`` into the graph of ``settings``.

    Idempotent and resumable: units finished with the same input and model versions are skipped,
    an interrupted unit resumes after its last durable batch, and articles whose content hash and
    model versions are unchanged are not re-extracted. ``annotated`` loads the annotations that
    come with PubTator/BioC input instead of running models; ``int8`` quantises the models for CPU inference.
    ``batch_size``: records per store transaction; None adapts it (``litgraph.pipeline.loader.BatchLoader``).
    """
    if not sources:
        raise InputError("no source given; e.g. `litgraph build pubmed:\"metformin\"` or a folder of PubMed XML")
    keys = [canonical_source(s, settings) for s in sources]
    models = Models(settings, model_dirs, annotated=annotated, int8=int8)

    def planner(ledger: Ledger, report: BuildReport):
        works = []
        all_units = {key: units_of(key, settings, engine) for key in keys}
        if not any(all_units.values()) and not any(fetch.is_online(k) for k in keys):
            # Nothing to read at all: an error, not a "successful" build. An empty folder given with other
            # sources (an updatefiles/ mirror that has no file yet) is recorded for refresh.
            raise InputError("no data files in this folder (hidden files, .md5, README and LICENSE are skipped); "
                             "give a folder of PubMed XML, MEDLINE, PubTator or BioC files", path=keys[0])
        for key in keys:
            units = all_units[key]
            entry = ledger.entry(key, online=fetch.is_online(key))
            todo, skipped = plan(entry, units, models.versions, mode="build")
            works += todo
            report.skipped(skipped)
        report.sources = keys
        return works

    return _run("build", settings, models, planner, engine=engine, ray_address=ray_address, workers=workers,
                batch_size=batch_size, progress=progress)


def refresh(settings: Settings, *, reextract: bool = False, model_dirs=None, annotated: bool = False,
            int8: bool = False, engine: str = "local", ray_address: str | None = None, workers: int | None = None,
            batch_size: int | None = None, progress: bool = True) -> BuildReport:
    """Apply what changed in the sources recorded in the graph's ledger.

    New or changed files of folder sources are applied in order; online sources fetch the records
    added or revised since their watermark; with ``reextract``, units processed by other model
    versions are re-read and their articles re-extracted. Cost grows with the changes, not the graph.
    """
    if not settings.graph_is_neo4j:
        from litgraph.store.backends.ladybug import DB_FILE

        if not (Path(settings.graph).expanduser() / DB_FILE).is_file():  # never create a graph to refresh it
            raise InputError(f"no graph at {settings.graph}; build one first with `litgraph build SOURCE` "
                             "or point --graph at one")
    models = Models(settings, model_dirs, annotated=annotated, int8=int8)

    def planner(ledger: Ledger, report: BuildReport):
        works = []
        report.sources = ledger.sources()
        if not report.sources:
            raise InputError(f"the graph {settings.graph} has no recorded sources; run `litgraph build SOURCE` first")
        for key in report.sources:
            entry = ledger.get(key)
            # A query refreshed since its watermark is one unit (its shards would list every PMID again).
            since_only = fetch.is_online(key) and entry.watermark and not reextract
            units = units_of(key, settings, "local" if since_only else engine)
            todo, skipped = plan(entry, units, models.versions, mode="refresh", reextract=reextract)
            works += todo
            report.skipped(skipped)
        return works

    return _run("refresh", settings, models, planner, engine=engine, ray_address=ray_address, workers=workers,
                batch_size=batch_size, progress=progress)
