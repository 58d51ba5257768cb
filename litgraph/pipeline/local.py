"""The local engine: one process streams each unit's records through the batch loader."""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime, timezone

from tqdm import tqdm

from litgraph.errors import InputError
from litgraph.pipeline.ledger import Ledger
from litgraph.pipeline.loader import BatchLoader
from litgraph.pipeline.plan import Work
from litgraph.pipeline.report import BuildReport, Failure
from litgraph.records import Deletion

log = logging.getLogger(__name__)


def today() -> str:
    """The watermark written for online sources: the UTC date the run started."""
    return datetime.now(timezone.utc).date().isoformat()


def run_unit(work: Work, records, loader: BatchLoader, ledger: Ledger, report: BuildReport, watermark: str) -> None:
    """Stream one unit's records into the graph, saving the ledger after every durable batch."""
    unit, entry = work.state, work.entry
    entry.units[work.unit] = unit
    loader.source = work.read
    loader.recheck_empty = work.models_changed
    # The batch in flight when a previous run was killed may be half-written: its records, those just
    # after the cursor, are loaded again whatever the graph says.
    force_from, force_until = (unit.cursor, unit.cursor + unit.batch) if work.resumed else (0, 0)
    unit.batch = max(unit.batch, loader.batch_size) if work.resumed else loader.batch_size
    if work.resumed and not work.resume_at:  # re-read from the start: its failures will be seen again
        unit.failures = []
    ledger.save(entry)  # the unit is started: a kill from here on resumes it
    count = 0

    def checkpoint(done: bool) -> None:
        loader.flush()
        unit.cursor, unit.batch = count, loader.batch_size
        for failure in map(vars, loader.take_failures()):
            if failure not in unit.failures:  # a resumed unit re-reads (and re-reports) its done part
                unit.failures.append(failure)
        if done:
            unit.done, unit.records, unit.failed = True, count, None
            entry.last_run = watermark
            if work.online:
                entry.watermark = watermark
        ledger.save(entry)
        log.info("%s: %d records in the graph%s", work.unit, count, " (unit done)" if done else "")

    if work.resume_at:  # extract/load failures of the interrupted run's done part; fetch reports its own again
        report.failures += [Failure(**f) for f in unit.failures if f["stage"] != "fetch"]
    records = iter(records)
    while True:
        started = time.perf_counter()
        try:
            record = next(records, None)
        except InputError as err:
            # A bad file (truncated gzip, a corrupt record in the middle, a bad JSONL line): the records read
            # before the fault are loaded and kept, the unit is marked failed with the reason (``litgraph
            # stats`` lists it) and stays unfinished, so the next run reads it again.
            unit.failed = str(err)
            checkpoint(done=False)
            raise
        report.timed("fetch", started)
        if record is None:
            break
        count += 1
        if count <= work.resume_at:
            report.records_resumed += 1
            continue
        report.records_read += 1
        if isinstance(record, Deletion) and record.source is None:
            record.source = work.read
        loader.add(record, force=force_from < count <= force_until)
        if loader.full:
            checkpoint(done=False)
    checkpoint(done=True)


def run_local(works: list[Work], settings, loader: BatchLoader, ledger: Ledger, report: BuildReport, *,
              progress: bool = True) -> None:
    """Run the units one after the other in this process."""
    from litgraph import fetch

    watermark = today()
    units_bar = tqdm(total=len(works), desc="units", unit="unit", file=sys.stderr, disable=not progress or len(works) < 2)
    loader.progress = tqdm(desc="records", unit="rec", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    try:
        for work in works:
            units_bar.set_postfix_str(work.read[-40:], refresh=False)
            loader.source = work.read
            records = fetch.iter_records(work.read, settings, since=work.since, progress=False,
                                         on_error=lambda pmid, reason: loader.fail(pmid, "fetch", reason))
            run_unit(work, records, loader, ledger, report, watermark)
            report.units_processed += 1
            units_bar.update(1)
    finally:
        loader.progress.close()
        units_bar.close()
