"""End-to-end build throughput (abstracts/s) and peak memory on the local engine.

Builds a fresh graph from N corpus abstracts (PubTator files; their gold annotations are ignored,
the models annotate) with ``litgraph build`` in a child process, once with fp32 models and once
with ``--int8``. Reports wall-clock abstracts/s, abstracts per CPU-second (the per-core rate, which
does not depend on how busy a shared machine is) and the child's peak RSS.

    python bench/pipeline_throughput.py [--docs 200] [--model NER_DIR --model RE_DIR]

Without --model the default models of LITGRAPH_MODELS are used (``litgraph quickstart`` trains them).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pipeline_common import abstracts, run_cli, save, write_pubtator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--model", action="append", default=[])
    args = parser.parse_args()
    docs = abstracts(args.docs)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        write_pubtator(docs, source, per_file=50)
        model_args = [a for m in args.model for a in ("--model", m)]
        for variant, extra in (("fp32", []), ("int8", ["--int8"])):
            graph = Path(tmp) / f"graph-{variant}"
            run = run_cli(["build", str(source), "--graph", str(graph), *model_args, *extra])
            report = run.pop("report")
            loaded = report["articles_loaded"]
            results[variant] = {
                **run,
                "abstracts": loaded,
                "failures": len(report["failures"]),
                "abstracts_per_s": round(loaded / run["wall_s"], 2),
                "abstracts_per_cpu_s": round(loaded / run["cpu_s"], 2),
                "models": report["models"],
            }
            print(variant, results[variant])
    save("pipeline_throughput", {
        "what": "litgraph build, local engine, fresh graph, N corpus abstracts (title + abstract), NER + normalisation + relations + load",
        "docs": args.docs,
        "targets": {"abstracts_per_s": 20, "peak_rss_mb": 4096},
        "results": results,
    })


if __name__ == "__main__":
    main()
