"""End-to-end build throughput (abstracts/s) and peak memory on the local engine.

Builds fresh graphs from N and 2N corpus abstracts (PubTator files; their gold annotations are
ignored, the models annotate) with ``litgraph build`` in a child process, in fp32, in bf16
(``LITGRAPH_PRECISION=bf16``, where the hardware computes it) and with ``--int8``. Reports, for the 2N run, wall-clock abstracts/s (start-up included) and the child's peak
RSS; and from the difference of the two runs the marginal cost of one abstract in CPU-seconds,
which does not depend on start-up or on how busy a shared machine is. ``per_core_abstracts_per_s``
is its inverse; on 2 dedicated cores expect about twice that.

    python bench/pipeline_throughput.py [--docs 50] [--model NER_DIR --model RE_DIR]

Without --model the default models of LITGRAPH_MODELS are used (``litgraph quickstart`` trains them).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pipeline_common import abstracts, run_cli, save, write_pubtator

from litgraph.extract.train import device, native_bf16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--model", action="append", default=[])
    args = parser.parse_args()
    docs = abstracts(2 * args.docs)
    model_args = [a for m in args.model for a in ("--model", m)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (args.docs, 2 * args.docs):
            write_pubtator(docs[:count], Path(tmp) / f"src{count}", per_file=50)
        variants = [("fp32", "fp32", [])] + ([("bf16", "bf16", [])] if native_bf16(device()) else []) + [("int8", "fp32", ["--int8"])]
        for variant, precision, extra in variants:
            runs = {}
            for count in (args.docs, 2 * args.docs):
                graph = Path(tmp) / f"graph-{variant}-{count}"
                runs[count] = run_cli(["build", str(Path(tmp) / f"src{count}"), "--graph", str(graph), *model_args, *extra],
                                      env={"LITGRAPH_PRECISION": precision})
            big, small = runs[2 * args.docs], runs[args.docs]
            report = big.pop("report")
            small.pop("report")
            marginal_cpu = (big["cpu_s"] - small["cpu_s"]) / args.docs
            results[variant] = {
                **big,
                "abstracts": report["articles_loaded"],
                "failures": len(report["failures"]),
                "abstracts_per_s": round(report["articles_loaded"] / big["wall_s"], 2),
                "stage_seconds": report["stage_seconds"],
                "marginal_cpu_s_per_abstract": round(marginal_cpu, 4),
                "per_core_abstracts_per_s": round(1 / marginal_cpu, 2),
                "startup_cpu_s": round(small["cpu_s"] - args.docs * marginal_cpu, 1),
                "models": report["models"],
            }
            print(variant, results[variant])
    save("pipeline_throughput", {
        "what": "litgraph build, local engine, fresh graph, corpus abstracts (title + abstract), NER + normalisation + relations + load; wall figures include start-up (imports, models, normaliser index)",
        "docs": [args.docs, 2 * args.docs],
        "targets": {"abstracts_per_s": 20, "peak_rss_mb": 4096},
        "results": results,
    })


if __name__ == "__main__":
    main()
