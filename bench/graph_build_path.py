"""Build-path load benchmark: the same synthetic documents upserted into both stores, new code against an
older commit in the same run.

The build path is ``GraphStore.upsert_documents`` (new and revised articles) and ``delete_articles``, called
a batch at a time as ``litgraph build`` does: ``--batch`` documents per call, by default the store's own
``write_batch`` (what the build loader gives it; the baseline runs with the same figure). Documents
are shaped like the output of extraction (10 mentions and 2 relation evidences per article, Zipf-skewed
entity popularity, evidence offsets given), from ``graph_load_query.synthetic_tables``. Phases:

- ``new``: every article into an empty store, ``--batch`` documents per call;
- ``revise``: ``--revise`` of them again with a different relation each (old evidence replaced, aggregates
  recomputed);
- ``delete``: ``--delete`` of them removed;
- ``bulk`` (with ``--bulk``): the synthetic graph of ``--articles`` articles in the Parquet layout
  (``graph_load_query.write_layout``) loaded into the emptied store with ``bulk_load_parquet`` (edges/s counts
  the edges of the layout, as ``graph_load_query`` does; the time includes computing the aggregates).

edges/s counts the edges the phase writes or removes: MENTIONS, HAS_EVIDENCE, SUBJECT, OBJECT and the
aggregated relation edges (from ``stats()`` before and after). Each store and code version runs in a
child process, so that peak RSS (``ru_maxrss``; the Python process only, not the Neo4j server) is its own.
``--baseline REF`` runs the same phases with the code of git commit REF (``git archive``, put first on
``PYTHONPATH``); ``--current REF`` does the same for the "current" side (default: the working tree).
``--baseline-first`` runs the baseline before the current code (the side that runs second finds the Neo4j
server's JIT and caches warm, so alternate the order between runs). Neo4j runs when NEO4J_URI is set (the
database is emptied). Writes ``bench/results/graph_build_path.json``, or ``--out``.

    python bench/graph_build_path.py --articles 20000 --baseline <commit>
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "graph_build_path.json"


def _edges(stats: dict) -> int:
    return sum(stats["edges"].values())


def child(args) -> dict:
    """One store, one code version: the three phases; figures as a dict."""
    import copy

    sys.path.insert(0, str(HERE))
    from graph_load_query import documents_for, synthetic_tables, write_layout

    from litgraph.records import Relation
    from litgraph.settings import Settings
    from litgraph.store import open_store

    tables, edge_tables, ann = synthetic_tables(args.articles)
    pmids = sorted(ann["years"])
    docs = documents_for(pmids, ann)
    if args.store == "neo4j":
        settings = Settings.from_env(graph=os.environ["NEO4J_URI"])
    else:
        settings = Settings.from_env(graph=str(Path(args.work) / "graph"))
    with open_store(settings) as store:
        if not args.batch:
            args.batch = store.write_batch
        out: dict = {"store": args.store, "code": args.code, "documents": len(docs), "batch": args.batch}
        if args.store == "neo4j":
            store.clear()
        before = store.stats()
        t = time.perf_counter()
        for i in range(0, len(docs), args.batch):
            store.upsert_documents(docs[i:i + args.batch])
        seconds = time.perf_counter() - t
        after = store.stats()
        out["new"] = {"seconds": round(seconds, 2), "edges": _edges(after) - _edges(before),
                      "edges_per_s": round((_edges(after) - _edges(before)) / seconds)}
        # revise: the same articles with one relation replaced by another (new evidence, old removed)
        revised = []
        for doc in docs[: args.revise]:
            doc = copy.deepcopy(doc)
            doc.version = 2
            ents = sorted({i for m in doc.mentions for i in m.ids})
            if doc.relations and len(ents) >= 2:
                doc.relations[0] = Relation(doc.pmid, "Association", ents[0], ents[-1], 0.8, 0, len(doc.title), "bench@2")
            revised.append(doc)
        written = sum(sum(len(m.ids) for m in d.mentions) + 3 * len(d.relations) for d in revised)
        t = time.perf_counter()
        touched = 0
        for i in range(0, len(revised), args.batch):
            counts = store.upsert_documents(revised[i:i + args.batch])
            touched += counts["edges"] + counts["edges_removed"]
        seconds = time.perf_counter() - t
        out["revise"] = {"documents": len(revised), "seconds": round(seconds, 2), "edges": written + touched,
                         "edges_per_s": round((written + touched) / seconds)}
        gone = pmids[-args.delete:]
        before = store.stats()
        t = time.perf_counter()
        for i in range(0, len(gone), args.batch):
            store.delete_articles(gone[i:i + args.batch])
        seconds = time.perf_counter() - t
        after = store.stats()
        out["delete"] = {"documents": len(gone), "seconds": round(seconds, 2), "edges": _edges(before) - _edges(after),
                         "edges_per_s": round((_edges(before) - _edges(after)) / seconds)}
        out["final_stats"] = after
        if args.bulk:
            layout = Path(args.work) / "tables"
            write_layout(tables, edge_tables, layout)
            n_edges = sum(len(frame) for frame in edge_tables.values())
            if args.store == "neo4j":
                store.clear()
                target = store
            else:
                target = open_store(Settings.from_env(graph=str(Path(args.work) / "bulk")))
            t = time.perf_counter()
            target.bulk_load_parquet(layout)
            seconds = time.perf_counter() - t
            if target is not store:
                target.close()
            out["bulk"] = {"seconds": round(seconds, 2), "edges": n_edges, "edges_per_s": round(n_edges / seconds)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def run_child_process(script: str, options: list[str], path: str | None, name: str) -> dict:
    """Run ``script --child OPTIONS`` in a fresh Python, with the code of ``path`` (a ``checkout``) first on the
    import path when given; its figures (the JSON of its last line) with the load average before and after."""
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = path + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    load_before = os.getloadavg()[0]
    result = subprocess.run([sys.executable, script, "--child", *options], env=env, cwd=path or REPO,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{name} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["load_average_1min"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    return figures


def run_child(args, store: str, code: str, path: str | None, work: Path, batch: int | None) -> dict:
    options = ["--store", store, "--code", code, "--work", str(work), "--articles", str(args.articles), "--batch",
               str(batch or 0), "--revise", str(args.revise), "--delete", str(args.delete)] + (["--bulk"] if args.bulk else [])
    figures = run_child_process(str(Path(__file__).resolve()), options, path, f"{store}/{code}")
    print(f"{store:8s} {code:9s} batch {figures['batch']:>6}  new {figures['new']['edges_per_s']:>8} edges/s  revise {figures['revise']['edges_per_s']:>8}"
          f"  delete {figures['delete']['edges_per_s']:>8}"
          + (f"  bulk {figures['bulk']['edges_per_s']:>8}" if "bulk" in figures else "") + f"  peak RSS {figures['peak_rss_mb']} MB", file=sys.stderr)
    return figures


def comparison_arguments(parser: argparse.ArgumentParser, results: Path) -> None:
    """The options a bench that runs the current code against a commit shares: ``--baseline-first``, ``--out``
    and the hidden ones of its child processes (``--child``, ``--code``, ``--work``)."""
    parser.add_argument("--baseline-first", action="store_true", help="run the baseline before the current code")
    parser.add_argument("--out", type=Path, default=results, help=f"result file (default {results.relative_to(REPO)})")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", default="current", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)


def checkout(ref: str, folder: Path) -> str:
    """The files of git commit ``ref`` in ``folder`` (``git archive``); returns the folder."""
    folder.mkdir()
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return str(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=0, help="documents per upsert call (default: the store's write_batch)")
    parser.add_argument("--revise", type=int, default=2000, help="articles revised")
    parser.add_argument("--delete", type=int, default=1000, help="articles deleted")
    parser.add_argument("--baseline", help="git commit whose store code to compare with (the old path)")
    parser.add_argument("--current", help="git commit to run as the current code (default: the working tree)")
    parser.add_argument("--stores", default="ladybug,neo4j")
    parser.add_argument("--bulk", action="store_true", help="also time bulk_load_parquet of the same synthetic graph")
    comparison_arguments(parser, RESULTS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    stores = [s for s in args.stores.split(",") if s != "neo4j" or os.environ.get("NEO4J_URI")]
    runs = []
    with tempfile.TemporaryDirectory(prefix="litgraph-bench-") as tmp:
        tmp = Path(tmp)
        versions = [("current", checkout(args.current, tmp / "current") if args.current else None)]
        if args.baseline:
            versions.append(("baseline", checkout(args.baseline, tmp / "baseline")))
            if args.baseline_first:
                versions.reverse()
        for store in stores:
            batch = args.batch or None
            for code, path in versions:
                work = tmp / f"{store}-{code}"
                work.mkdir()
                runs.append(run_child(args, store, code, path, work, batch))
                batch = runs[-1]["batch"]  # the second side loads in the same batches as the first
    payload = {
        "benchmark": "graph_build_path",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load_average": os.getloadavg(), "python": platform.python_version()},
        "settings": {"articles": args.articles, "batch": args.batch or "the store's write_batch", "revise": args.revise,
                     "delete": args.delete, "bulk": args.bulk, "baseline": args.baseline, "current": args.current or "working tree",
                     "order": [code for code, _ in versions]},
        "targets": {"ladybug_edges_per_s": 50_000, "neo4j_edges_per_s": 20_000},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
