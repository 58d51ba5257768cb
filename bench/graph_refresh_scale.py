"""Refresh batches into a large embedded graph: new, revised and deleted articles after a bulk load, current
code against an older commit in the same run.

The scheduled refresh writes batches of a few thousand articles into a graph that already holds a large
corpus. This bench bulk-loads ``--articles`` synthetic articles (``graph_load_query.synthetic_tables``) into
a fresh LadybugDB graph for each code version, then times, one ``upsert_documents`` or ``delete_articles``
call each:

- ``new``: ``--batch`` articles the graph does not hold (the annotations of existing ones under new PMIDs);
- ``revise``: ``--batch`` existing articles with one mention dropped and one relation replaced (their changed
  mention rows and their evidence are deleted and written again);
- ``delete``: ``--batch`` / 5 of the new articles removed;
- ``close``: closing the store, which runs the checkpoint that the phases still owe.

LadybugDB checkpoints at a commit when its write-ahead log is large enough, else at the next one or at close,
so a phase's cost can land in a later one: compare the totals as well as the phases. edges/s counts the
edges a phase writes or removes (as ``graph_build_path``). Writes ``bench/results/graph_refresh_scale.json``.

    python bench/graph_refresh_scale.py --articles 200000 --baseline <commit>
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "graph_refresh_scale.json"
sys.path.insert(0, str(HERE))
from graph_build_path import checkout, comparison_arguments, run_child_process  # noqa: E402  (a sibling bench module)


def child(args) -> dict:
    """One code version: bulk load, then the four phases; figures as a dict."""
    import random

    sys.path.insert(0, str(HERE))
    from graph_load_query import documents_for, synthetic_tables, write_layout

    from litgraph.records import Relation
    from litgraph.settings import Settings
    from litgraph.store import open_store

    tables, edge_tables, ann = synthetic_tables(args.articles)
    layout = Path(args.work) / "tables"
    write_layout(tables, edge_tables, layout)
    sample = sorted(random.Random(5).sample(sorted(ann["years"]), 2 * args.batch))
    docs = documents_for(sample, ann)
    new = []
    for i, doc in enumerate(docs[: args.batch]):
        doc = copy.deepcopy(doc)
        doc.pmid = str(90_000_000 + i)
        for item in doc.mentions + doc.relations:
            item.doc_id = doc.pmid
        new.append(doc)
    revised = []
    for doc in docs[args.batch:]:
        doc = copy.deepcopy(doc)
        doc.version = 2
        ends = {i for r in doc.relations for i in (r.subject, r.object)}
        dropped = next((m for m in doc.mentions if not set(m.ids) & ends), None)
        if dropped is not None:
            doc.mentions.remove(dropped)
        ids = sorted({i for m in doc.mentions for i in m.ids})
        if doc.relations and len(ids) >= 2:
            doc.relations[0] = Relation(doc.pmid, "Association", ids[0], ids[-1], 0.8, 0, len(doc.title), "bench@2")
        revised.append(doc)

    def edges(store) -> int:
        return sum(store.stats()["edges"].values())

    out: dict = {"code": args.code, "articles": args.articles, "batch": args.batch}
    store = open_store(Settings.from_env(graph=str(Path(args.work) / "graph")))
    t = time.perf_counter()
    store.bulk_load_parquet(layout)
    out["bulk"] = {"seconds": round(time.perf_counter() - t, 2), "edges": edges(store)}
    for phase, work in (("new", lambda: store.upsert_documents(new)), ("revise", lambda: store.upsert_documents(revised)),
                        ("delete", lambda: store.delete_articles([d.pmid for d in new[: args.batch // 5]]))):
        before = edges(store)
        t = time.perf_counter()
        counts = work()
        seconds = time.perf_counter() - t
        after = edges(store)
        moved = abs(after - before) if phase != "revise" else counts["edges"] + counts["edges_removed"] + sum(
            sum(len(m.ids) for m in d.mentions) + 3 * len(d.relations) for d in revised)
        out[phase] = {"seconds": round(seconds, 2), "edges": moved, "edges_per_s": round(moved / seconds)}
    t = time.perf_counter()
    store.close()
    out["close"] = {"seconds": round(time.perf_counter() - t, 2)}
    out["total_seconds"] = round(sum(out[p]["seconds"] for p in ("new", "revise", "delete", "close")), 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000, help="articles bulk-loaded before the refresh")
    parser.add_argument("--batch", type=int, default=5_000, help="articles per refresh call")
    parser.add_argument("--baseline", help="git commit whose store code to compare with")
    comparison_arguments(parser, RESULTS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    runs = []
    with tempfile.TemporaryDirectory(prefix="litgraph-bench-") as tmp:
        tmp = Path(tmp)
        versions = [("current", None)] + ([("baseline", checkout(args.baseline, tmp / "baseline"))] if args.baseline else [])
        if args.baseline_first:
            versions.reverse()
        for code, path in versions:
            work = tmp / f"work-{code}"
            work.mkdir()
            figures = run_child_process(str(Path(__file__).resolve()), ["--code", code, "--work", str(work), "--articles",
                                        str(args.articles), "--batch", str(args.batch)], path, code)
            runs.append(figures)
            print(f"{code:9s} bulk {figures['bulk']['seconds']:6.1f} s  " + "  ".join(
                f"{p} {figures[p]['seconds']:6.1f} s ({figures[p]['edges_per_s']} edges/s)" for p in ("new", "revise", "delete"))
                + f"  close {figures['close']['seconds']:.1f} s  total {figures['total_seconds']:.1f} s", file=sys.stderr)
    payload = {"benchmark": "graph_refresh_scale",
               "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                           "load_average": os.getloadavg(), "python": platform.python_version()},
               "settings": {"articles": args.articles, "batch": args.batch, "baseline": args.baseline}, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
