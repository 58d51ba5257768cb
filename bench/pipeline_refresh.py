"""Refresh cost against the number of changed records, on a 10,000-article graph.

Builds a graph of 10,000 articles (corpus abstracts renumbered, loaded with their gold annotations:
``--annotated``, so that the figures measure the pipeline and the store, not the models) from a
folder of 10 PubTator files. Then, for 0 %, 1 %, 10 % and 100 % of the articles, drops an update
file holding that many revised records into the update folder and times ``litgraph refresh``
(a child process, start-up included). With models, add the extraction time of the changed records
(bench/pipeline_throughput.py) to these figures.

    python bench/pipeline_refresh.py [--articles 10000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pipeline_common import abstracts, run_cli, save, write_pubtator

FIRST_PMID = 90_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    docs = abstracts(args.articles, first_pmid=FIRST_PMID)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        baseline, updates, graph = tmp / "baseline", tmp / "updates", tmp / "graph"
        write_pubtator(docs, baseline, per_file=max(1, args.articles // 10))
        updates.mkdir()
        built = run_cli(["build", str(baseline), str(updates), "--graph", str(graph), "--annotated"])
        print("build", {k: v for k, v in built.items() if k != "report"})
        for round_no, share in enumerate((0.0, 0.01, 0.10, 1.0)):
            changed = int(args.articles * share)
            if changed:
                revised = docs[:changed]
                for doc in revised:
                    doc.abstract += f" (revision {round_no})"
                write_pubtator(revised, updates, per_file=changed, stem=f"update{round_no:02d}-")
            run = run_cli(["refresh", "--graph", str(graph), "--annotated"])
            report = run.pop("report")
            row = {"changed_share": share, "changed_records": changed, **run,
                   "records_read": report["records_read"], "articles_loaded": report["articles_loaded"],
                   "pipeline_s": report["seconds"]}
            print(row)
            assert report["articles_loaded"] == changed and report["failures"] == []
            results.append(row)
    save("pipeline_refresh", {
        "what": "litgraph refresh of a graph built from a folder of PubTator files, after an update file with N revised records lands; --annotated (no models); times include process start-up",
        "articles": args.articles,
        "build": {k: v for k, v in built.items() if k != "report"},
        "targets": {"noop_refresh_s": 5},
        "results": results,
    })


if __name__ == "__main__":
    main()
