"""Normalisation index build time, file size, load time, peak memory, and matching speed on one core.

Build and load each run in a child process so that their peak memory (max RSS) is their own.
Speed is measured pinned to one CPU core on the gold mentions of the three dev splits:
- cold: every distinct (text, type) once, empty cache (the matching pipeline itself);
- stream: every mention in corpus order (the normaliser caches repeated names);
- documents: ``normalise(doc)`` including scispaCy abbreviation detection per document.

Run: python bench/normalise_speed.py [--corpora DIR]. Writes bench/results/normalise_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BUILD = """
import sys, time
from pathlib import Path
from litgraph.normalise import build_index
from litgraph.normalise.normaliser import TRAIN_SPLITS, train_documents
from litgraph.settings import Settings
settings = Settings.from_env(corpora=sys.argv[2])
started = time.perf_counter()
docs, used = train_documents(settings, TRAIN_SPLITS)
build_index(Path(sys.argv[1]), train_docs=docs, train_splits=used, progress=False)
import resource
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

LOAD = """
import sys, time
from pathlib import Path
started = time.perf_counter()
from litgraph.normalise import Index, Normaliser
normaliser = Normaliser(Index.load(Path(sys.argv[1])))
import resource
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _child(code: str, *args: str) -> tuple[float, float]:
    """Run ``code`` in a fresh interpreter: (seconds, its own peak RSS in MiB), as the code prints them."""
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=REPO)
    seconds, peak_kib = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "data"))
    args = parser.parse_args()
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs (shared with other jobs)",
                     "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.pkl"
        build_s, build_mb = _child(BUILD, str(path), args.corpora)
        load_s, load_mb = _child(LOAD, str(path))
        results["index"] = {
            "build_seconds": round(build_s, 1), "build_peak_mib": round(build_mb),
            "file_mib": round(path.stat().st_size / 2**20, 1),
            "load_seconds": round(load_s, 2), "load_peak_mib": round(load_mb),
        }
        print(json.dumps(results["index"]), flush=True)

        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        from litgraph.fetch.corpora import load_corpus
        from litgraph.normalise import Index, Normaliser
        from litgraph.settings import Settings

        settings = Settings.from_env(corpora=args.corpora)
        docs = [d for name in ("bc5cdr:dev", "ncbi-disease:dev", "biored:dev") for d in load_corpus(name, settings)]
        mentions = [(m.text, m.type) for d in docs for m in d.mentions if m.type in ("Chemical", "Disease", "Gene")]
        distinct = list(dict.fromkeys(mentions))
        index = Index.load(path)

        normaliser = Normaliser(index)
        started = time.perf_counter()
        for text, etype in distinct:
            normaliser.normalise_mention(text, etype)
        cold = len(distinct) / (time.perf_counter() - started)

        normaliser = Normaliser(index)
        started = time.perf_counter()
        for text, etype in mentions:
            normaliser.normalise_mention(text, etype)
        stream = len(mentions) / (time.perf_counter() - started)

        normaliser = Normaliser(index)
        from litgraph.text import nlp

        nlp()  # load the spaCy pipeline outside the timing
        started = time.perf_counter()
        for doc in docs:
            normaliser.normalise(doc)
        with_docs = len(mentions) / (time.perf_counter() - started)
        results["speed_one_core"] = {
            "mentions": len(mentions), "distinct": len(distinct),
            "cold_mentions_per_s": round(cold), "stream_mentions_per_s": round(stream),
            "documents_mentions_per_s": round(with_docs), "documents_per_s": round(len(docs) / (len(mentions) / with_docs), 1),
        }
        results["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
        print(json.dumps(results["speed_one_core"]), flush=True)
    out = REPO / "bench" / "results" / "normalise_speed.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
