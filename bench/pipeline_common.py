"""Helpers shared by the pipeline benchmarks: corpus abstracts as source files, timed child runs."""

from __future__ import annotations

import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
CORPORA = ("bc5cdr:train", "bc5cdr:dev", "biored:train", "biored:dev", "ncbi-disease:train", "ncbi-disease:dev")


def settings():
    from litgraph.settings import Settings

    return Settings.from_env(corpora=os.environ.get("LITGRAPH_CORPORA") or str(REPO.parent / "shared" / "data"))


def abstracts(count: int, *, first_pmid: int | None = None) -> list:
    """``count`` PubMed abstracts of the annotated corpora with their gold annotations, cycled and
    renumbered from ``first_pmid`` when more are asked for than the corpora hold (about 2,190)."""
    from litgraph.fetch.corpora import load_corpus

    pool, seen = [], set()
    for name in CORPORA:
        for doc in load_corpus(name, settings()):
            if doc.pmid not in seen:
                seen.add(doc.pmid)
                pool.append(doc)
    out = []
    for i in range(count):
        doc = copy.deepcopy(pool[i % len(pool)])
        if first_pmid is not None:
            pmid = str(first_pmid + i)
            doc.pmid = pmid
            for item in (*doc.mentions, *doc.relations):
                item.doc_id = pmid
        out.append(doc)
    return out


def write_pubtator(docs, folder: Path, per_file: int, stem: str = "part") -> list[Path]:
    from litgraph.connectors.pubtator import write_pubtator as write

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, start in enumerate(range(0, len(docs), per_file)):
        path = folder / f"{stem}{n:04d}.pubtator"
        with open(path, "w", encoding="utf-8") as out:
            write(docs[start:start + per_file], out)
        paths.append(path)
    return paths


def run_cli(args: list[str], env: dict | None = None) -> dict:
    """Run ``litgraph ARGS --format json`` in a child process.

    Returns its JSON report with the child's wall time, CPU time (user + system) and peak RSS.
    """
    command = [sys.executable, "-m", "litgraph", *args, "--format", "json", "--no-progress"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{err.read().decode()[-3000:]}")
        report = json.loads(out.read())
    return {
        "report": report,
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def machine() -> str:
    return f"{os.cpu_count()}-core {platform.machine()} CPU, shared with other jobs ({platform.system()})"


def save(name: str, payload: dict) -> Path:
    """Write ``bench/results/NAME.json`` and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine(), "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()], **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload, indent=2))
    return path
