"""The Ray engine: fetch-and-extract runs over shards on Ray actors; the driver bulk-loads their Parquet.

Each actor loads the models once (on a GPU when the cluster has GPUs, else on one CPU core) and turns
a shard (a baseline/update file or a batch of PMIDs, from ``litgraph.fetch.shards``) into a Parquet
file of annotated records. The driver takes the shard outputs in shard order (update files must be
applied in order), loads them into the store in large batches and marks each shard done in the ledger.
Only the driver touches the store, so the embedded store works unchanged; a cluster needs litgraph
installed on its nodes.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from litgraph.errors import InputError
from litgraph.pipeline.ledger import Ledger
from litgraph.pipeline.loader import BatchLoader, annotate_isolating
from litgraph.pipeline.local import run_unit, today
from litgraph.pipeline.plan import Work
from litgraph.pipeline.report import BuildReport, Failure
from litgraph.records import Deletion, from_dict, to_dict

log = logging.getLogger(__name__)
SCHEMA = pa.schema([("pmid", pa.string()), ("deleted", pa.bool_()), ("record", pa.string())])


def shard_to_parquet(shard: str, since, settings, annotator, sink, *, batch_size: int = 64) -> dict:
    """Fetch and annotate one shard, writing its records as Parquet rows to ``sink``.

    Returns ``{"records": n, "failures": [...]}``; failures name the PMID and the reason.
    """
    from litgraph import fetch

    failures: list[dict] = []
    count = 0
    with pq.ParquetWriter(sink, SCHEMA) as writer:
        pending: list = []

        def flush() -> None:
            docs = [r for r in pending if not isinstance(r, Deletion)]
            done = {d.pmid: d for d in _annotate(annotator, docs, shard, failures, batch_size)}
            rows = [r for r in pending if isinstance(r, Deletion) or r.pmid in done]
            if rows:
                writer.write_table(pa.Table.from_pylist(
                    [{"pmid": r.pmid, "deleted": isinstance(r, Deletion), "record": json.dumps(to_dict(r))} for r in rows],
                    schema=SCHEMA))
            pending.clear()

        def fetch_failed(pmid, reason) -> None:
            failures.append({"pmid": pmid, "source": shard, "stage": "fetch", "reason": reason})

        error = None
        try:
            for record in fetch.iter_records(shard, settings, since=since, progress=False, on_error=fetch_failed):
                count += 1
                pending.append(record)
                if len(pending) >= batch_size:
                    flush()
        except InputError as err:  # a bad file: its records before the fault go back with the reason
            error = str(err)
        flush()
    return {"records": count, "failures": failures, "error": error}


def _records_then_error(records, error: str | None):
    """The shard's records, then the InputError that stopped the worker (so ``run_unit`` marks the unit failed)."""
    yield from records
    if error:
        raise InputError(error)


def _annotate(annotator, docs, shard, failures, batch_size):
    def fail(doc, reason: str) -> None:
        failures.append({"pmid": doc.pmid, "source": shard, "stage": "extract", "reason": reason})

    return annotate_isolating(annotator, docs, batch_size, fail) if docs else []


def read_shard(path: Path):
    """The records of a shard's Parquet file, in order, one row group at a time."""
    parquet = pq.ParquetFile(path)
    for group in range(parquet.num_row_groups):
        for text in parquet.read_row_group(group, columns=["record"]).column("record").to_pylist():
            yield from_dict(json.loads(text))


class ShardWorker:
    """A Ray actor holding the models; ``run`` returns a shard's output as Parquet bytes."""

    def __init__(self, settings, model_dirs, annotated: bool, int8: bool, threads: int):
        from litgraph.pipeline.models import Models

        self.settings = settings.with_(threads=max(1, threads))  # the driver's settings; torch threads of this worker
        self.models = Models(settings, model_dirs, annotated=annotated, int8=int8)

    def run(self, shard: str, since) -> dict:
        sink = io.BytesIO()
        result = shard_to_parquet(shard, since, self.settings, self.models.annotator, sink)
        result["parquet"] = sink.getvalue()
        return result


def _start(address: str | None, workers: int | None) -> bool:
    """Connect to Ray (a cluster at ``address``, else a local one); True when this call started it."""
    import ray

    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, log_to_driver=False)
    return True


def run_ray(works: list[Work], settings, models, loader: BatchLoader, ledger: Ledger, report: BuildReport, *,
            address: str | None = None, workers: int | None = None, progress: bool = True) -> None:
    """Run the units' fetch-and-extract on Ray actors and load their outputs in order."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError as err:
        raise InputError(f"--engine ray needs Ray ({err}); install it with pip install 'litgraph[ray]'") from err

    started = _start(address, workers)
    try:
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if gpus:
            count, options = workers or gpus, {"num_gpus": 1, "num_cpus": 1}
        else:
            count, options = workers or int(resources.get("CPU", 1)), {"num_cpus": 1}
        count = max(1, min(count, len(works)))
        actor = ray.remote(**options)(ShardWorker)
        pool = ActorPool([actor.remote(settings, models.model_dirs, models.annotated, models.int8, 1) for _ in range(count)])
        log.info("ray: %d worker(s) on %s", count, "GPUs" if gpus else "CPUs")
        watermark = today()
        bar = tqdm(total=len(works), desc=f"shards ({count} workers)", unit="shard", file=sys.stderr, disable=not progress)
        with tempfile.TemporaryDirectory(prefix="litgraph-shards-") as staging:
            results = pool.map(lambda a, w: a.run.remote(w.read, w.since), works)
            for index, (work, result) in enumerate(zip(works, results)):
                path = Path(staging) / f"{index:06d}.parquet"
                path.write_bytes(result.pop("parquet"))
                try:
                    run_unit(work, _records_then_error(read_shard(path), result.get("error")), loader, ledger, report,
                             watermark)
                finally:
                    report.failures += [Failure(**f) for f in result["failures"]]
                    work.state.failures += result["failures"]
                    ledger.save(work.entry)
                path.unlink()
                report.units_processed += 1
                bar.update(1)
        bar.close()
    finally:
        if started:
            ray.shutdown()
