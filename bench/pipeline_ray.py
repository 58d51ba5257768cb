"""Ray engine speed-up from 1 to 2 workers (fetch-and-extract over shards, then bulk load).

Builds the same fresh graph from S shards (PubTator files of corpus abstracts, annotated by the
models) with ``litgraph build --engine ray --workers 1`` and ``--workers 2`` (a local Ray started by
the command; each worker holds the models and uses one CPU core), and the local engine as the
baseline. Child processes; Ray start-up and model loading are included.

    python bench/pipeline_ray.py [--shards 4] [--per-shard 16] [--model NER_DIR --model RE_DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pipeline_common import abstracts, run_cli, save, write_pubtator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--per-shard", type=int, default=16)
    parser.add_argument("--model", action="append", default=[])
    args = parser.parse_args()
    docs = abstracts(args.shards * args.per_shard)
    model_args = [a for m in args.model for a in ("--model", m)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        write_pubtator(docs, source, per_file=args.per_shard)
        for name, extra in (("local", ["--engine", "local"]), ("ray-1", ["--engine", "ray", "--workers", "1"]),
                            ("ray-2", ["--engine", "ray", "--workers", "2"])):
            run = run_cli(["build", str(source), "--graph", str(Path(tmp) / name), *model_args, *extra],
                          env={"LITGRAPH_THREADS": "1"} if name == "local" else None)
            report = run.pop("report")
            results[name] = {**run, "abstracts": report["articles_loaded"],
                             "abstracts_per_s": round(report["articles_loaded"] / run["wall_s"], 2)}
            print(name, results[name])
    save("pipeline_ray", {
        "what": "litgraph build of S shards, local engine (1 torch thread) vs Ray engine with 1 and 2 workers; wall time includes Ray start-up and model loading",
        "shards": args.shards, "abstracts": len(docs),
        "speedup_1_to_2_workers": round(results["ray-1"]["wall_s"] / results["ray-2"]["wall_s"], 2),
        "results": results,
    })


if __name__ == "__main__":
    main()
