"""Graph store benchmark on a synthetic graph shaped like a large literature build (scaled down).

Shape per article as in a 1M-article build (1M articles, 10M mentions, 2M relation edges): 10 mentions
and 2 relation evidences per article, entity popularity skewed (Zipf-like). Measures: Parquet bulk load
(edges/s), upsert of existing documents (evidence edges/s), p50/p95 of every named query on the embedded
store and (with NEO4J_URI set) on Neo4j, database size, export time; with ``--baseline COMMIT`` the query
files of that commit are timed in the same loop on the same graphs and must give the same rows.
Run: python bench/graph_load_query.py [--articles N] [--work DIR] [--baseline COMMIT] [--out FILE].
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from litgraph.store.backends.ladybug import LadybugStore
from litgraph.export import arrow_table, export
from litgraph.records import Document, Mention, Relation
from litgraph.store.schema import NODE_TABLES, REL_TABLES

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "graph_load_query.json"
#: Changes when synthetic_tables makes another graph (a kept graph of another version is rebuilt).
SYNTHETIC_VERSION = 3


def synthetic_tables(n_articles: int, seed: int = 7) -> tuple[dict, dict, dict]:
    """Node and edge tables in the bulk-load layout, plus the per-article annotations for upserts."""
    rng = np.random.default_rng(seed)
    sizes = {"Chemical": max(n_articles // 5, 100), "Disease": max(n_articles // 8, 100), "Gene": max(n_articles // 4, 100)}
    ids = {label: [f"{'NCBIGene' if label == 'Gene' else 'MESH'}:{label[0]}{i:07d}" for i in range(n)] for label, n in sizes.items()}

    def pick(label, k):
        return rng.zipf(1.3, k).clip(1, sizes[label]) - 1

    pmids = [str(10_000_000 + i) for i in range(n_articles)]
    years = rng.integers(1980, 2026, n_articles)
    mentions, evidence = [], []
    for label, per in (("Chemical", 4), ("Disease", 3), ("Gene", 3)):
        idx = pick(label, n_articles * per)
        for k, i in enumerate(idx):
            mentions.append((pmids[k // per], label, ids[label][i]))
    # endpoints in the order the store gives them (schema.edge_for): disease -> gene, as a build writes it
    kinds = [("INDUCES", "Chemical", "Disease"), ("TREATS", "Chemical", "Disease"), ("ASSOCIATED_WITH", "Disease", "Gene"),
             ("ASSOCIATED_WITH", "Chemical", "Gene")]
    for a in range(n_articles):
        for _ in range(2):
            edge, sl, ol = kinds[rng.integers(len(kinds))]
            s, o = ids[sl][pick(sl, 1)[0]], ids[ol][pick(ol, 1)[0]]
            evidence.append((pmids[a], edge, sl, s, ol, o, int(years[a])))
    mention_df = pd.DataFrame(mentions, columns=["pmid", "label", "id"]).drop_duplicates()
    ev = pd.DataFrame(evidence, columns=["pmid", "edge", "subject_label", "subject", "object_label", "object", "year"])
    ev = ev.drop_duplicates(["pmid", "edge", "subject", "object"])
    # every evidence endpoint is mentioned by its article
    ends = pd.concat([ev[["pmid", "subject_label", "subject"]].set_axis(["pmid", "label", "id"], axis=1),
                      ev[["pmid", "object_label", "object"]].set_axis(["pmid", "label", "id"], axis=1)])
    mention_df = pd.concat([mention_df, ends]).drop_duplicates(["pmid", "id"])
    ev["id"] = ev.pmid + "|" + ev.edge + "|" + ev.subject + "|" + ev.object
    nodes = {
        "Article": pd.DataFrame({"pmid": pmids, "title": [f"Synthetic article {p}" for p in pmids], "year": years,
                                 "journal": "Synthetic J", "doi": None, "version": 1, "revised": None, "retracted": False,
                                 "publication_types": [["Journal Article"]] * n_articles, "hash": "", "text_hash": "", "models": [["bench@1"]] * n_articles}),
        **{label: pd.DataFrame({"id": ids[label], "name": [i.lower() for i in ids[label]], "synonyms": [[]] * sizes[label],
                                "xrefs": [[]] * sizes[label]}) for label in sizes},
        "Evidence": pd.DataFrame({"id": ev.id, "pmid": ev.pmid, "edge": ev.edge, "relation": "Association",
                                  "subject_label": ev.subject_label, "subject": ev.subject, "object_label": ev.object_label,
                                  "object": ev.object, "sentence": "A synthetic sentence.", "start_offset": 0, "end_offset": 21,
                                  "score": 0.9, "model": "bench@1", "novel": True, "year": ev.year}),
    }
    mention_df["count"], mention_df["score"] = 1, 0.9
    mention_df["texts"] = mention_df.id.map(lambda i: [i.lower()])
    edges = {
        "MENTIONS": pd.DataFrame({"from_label": "Article", "from": mention_df.pmid, "to_label": mention_df.label, "to": mention_df.id,
                                  "count": mention_df["count"], "texts": mention_df.texts, "score": mention_df.score}),
        "HAS_EVIDENCE": pd.DataFrame({"from_label": "Article", "from": ev.pmid, "to_label": "Evidence", "to": ev.id}),
        "SUBJECT": pd.DataFrame({"from_label": "Evidence", "from": ev.id, "to_label": ev.subject_label, "to": ev.subject}),
        "OBJECT": pd.DataFrame({"from_label": "Evidence", "from": ev.id, "to_label": ev.object_label, "to": ev.object}),
    }
    for edge, group in ev.groupby("edge"):
        agg = group.sort_values(["year", "pmid"], ascending=[False, True]).groupby(["subject_label", "subject", "object_label", "object"])
        table = agg.agg(evidence_count=("pmid", "size"), pmids=("pmid", list), first_year=("year", "min"),
                        last_year=("year", "max"), n=("pmid", "size")).reset_index()
        table["score"] = 1 - 0.1 ** table.n
        edges[edge] = pd.DataFrame({"from_label": table.subject_label, "from": table.subject, "to_label": table.object_label,
                                    "to": table.object, "evidence_count": table.evidence_count, "pmids": table.pmids,
                                    "first_year": table.first_year, "last_year": table.last_year, "score": table.score.round(6),
                                    "model": [["bench@1"]] * len(table)})
    annotations = {"mentions": mention_df, "evidence": ev, "years": dict(zip(pmids, years.tolist()))}
    return nodes, edges, annotations


def write_layout(nodes: dict, edges: dict, folder: Path) -> None:
    (folder / "nodes").mkdir(parents=True)
    (folder / "edges").mkdir(parents=True)
    for name, frame in nodes.items():  # the columns of the schema of the code that runs (a baseline may predate some)
        columns = [c for c, _ in NODE_TABLES[name][0] if c in frame]
        pq.write_table(arrow_table(frame[columns], dict(NODE_TABLES[name][0])), folder / "nodes" / f"{name}.parquet")
    for name, frame in edges.items():
        kinds = {"from_label": "STRING", "from": "STRING", "to_label": "STRING", "to": "STRING", **dict(REL_TABLES[name][1])}
        pq.write_table(arrow_table(frame, kinds), folder / "edges" / f"{name}.parquet")


def documents_for(pmids: list[str], ann: dict) -> list[Document]:
    """Documents that restate the annotations already loaded for ``pmids`` (an upsert of existing edges)."""
    ments = ann["mentions"][ann["mentions"].pmid.isin(pmids)]
    evs = ann["evidence"][ann["evidence"].pmid.isin(pmids)]
    by_pmid = {pmid: group for pmid, group in evs.groupby("pmid")}
    none = evs.iloc[:0]
    docs = []
    for pmid, group in ments.groupby("pmid"):
        title, mentions = "", []
        for label, curie in zip(group.label, group.id):
            start = len(title)
            title += curie.lower() + " "
            mentions.append(Mention(pmid, start, start + len(curie), curie.lower(), label, [curie], 0.9, "bench@1"))
        rels = [Relation(pmid, {"INDUCES": "CID", "TREATS": "Negative_Correlation"}.get(e, "Association"), s, o, 0.9, 0, len(title), "bench@1")
                for e, s, o in zip(*(by_pmid.get(pmid, none)[c] for c in ("edge", "subject", "object")))]
        docs.append(Document(pmid, title=title.strip(), year=ann["years"][pmid], mentions=mentions, relations=rels))
    return docs


def summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
            "runs": len(samples)}


def store_code_hash() -> str:
    """A hash of the store package's source: a kept graph is reused only while the code that built it is unchanged."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "litgraph" / "store").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def baseline_queries(commit: str, folder: Path) -> dict:
    """The named queries of ``queries/`` at ``commit`` (written into ``folder``)."""
    from litgraph.query import load_queries  # here, not at the top: graph_build_path imports this file under older litgraph code

    folder.mkdir(parents=True)
    names = subprocess.run(["git", "ls-tree", "--name-only", f"{commit}:queries"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in names:
        text = subprocess.run(["git", "show", f"{commit}:queries/{name}"], cwd=REPO, check=True, capture_output=True).stdout
        (folder / name).write_bytes(text)
    return load_queries(folder)


def open_neo4j(tables: Path, docs: list[Document], marker: str):
    """The Neo4j server at NEO4J_URI holding the synthetic graph: reused when it holds this one (``marker``),
    else emptied, bulk-loaded and given the same upsert as the embedded store (returns the store and the
    figures, None when reused)."""
    from litgraph.settings import Settings
    from litgraph.store import open_store

    store = open_store(Settings.from_env(graph=os.environ["NEO4J_URI"]))
    if store.get_meta("bench.graph") == marker:
        return store, None
    store.clear()
    t = time.perf_counter()
    loaded = store.bulk_load_parquet(tables)
    seconds = time.perf_counter() - t
    n_edges = sum(v for k, v in loaded.items() if k in REL_TABLES)
    print(f"neo4j bulk load: {n_edges} edges in {seconds:.1f} s", file=sys.stderr)
    t = time.perf_counter()
    store.upsert_documents(docs)
    upsert_s = time.perf_counter() - t
    print(f"neo4j upsert: {len(docs)} documents in {upsert_s:.1f} s", file=sys.stderr)
    store.set_meta("bench.graph", marker)
    return store, {"bulk_load": {"seconds": round(seconds, 2), "edges_per_s": round(n_edges / seconds), "target_edges_per_s": 50_000},
                   "upsert_existing_s": round(upsert_s, 2)}


def query_plans(nodes: dict, edges: dict) -> dict:
    """Parameters of each named query per run: the most connected entities (the slow cases)."""
    chems = edges["INDUCES"]["from"].value_counts().index[:50].tolist()
    diseases = edges["TREATS"]["to"].value_counts().index[:50].tolist()
    pairs = list(zip(edges["INDUCES"]["from"][:50], edges["INDUCES"]["to"][:50]))
    genes = nodes["Gene"].id[:50].tolist()
    return {
        "drugs-for-disease": lambda i: {"disease": diseases[i % 50]},
        "diseases-for-drug": lambda i: {"chemical": chems[i % 50]},
        "adverse-effects": lambda i: {"entity": chems[i % 50]},
        "evidence": lambda i: {"a": pairs[i % 50][0], "b": pairs[i % 50][1]},
        "repurposing": lambda i: {"disease": diseases[i % 50]},
        "co-mentions": lambda i: {"entity": genes[i % 50]},
        "path": lambda i: {"a": chems[i % 50], "b": genes[i % 50]},
        "top-entities": lambda i: {"type": ["Chemical", "Disease", "Gene", ""][i % 4]},
        "new-since": lambda i: {"since": 2020 + i % 5},
    }


def time_queries(stores: dict, variants: dict, plans: dict, runs: int) -> tuple[dict, list]:
    """p50/p95 per query, store and variant (``current`` and ``baseline``), timed interleaved in one loop so
    that the machine's load falls on all alike; and the runs whose rows differ between stores or variants."""
    from litgraph.query import run_query

    samples: dict = {}
    rows: dict = {}
    for i in range(runs):
        for name, plan in plans.items():
            params = plan(i)
            for backend, store in stores.items():
                # the variant that runs second finds the caches warm from the first (same parameters): alternate
                for variant, queries in (list(variants.items()) if i % 2 == 0 else list(variants.items())[::-1]):
                    start = time.perf_counter()
                    found = run_query(store, queries[name], params, settings=store.settings)
                    samples.setdefault((variant, backend, name), []).append((time.perf_counter() - start) * 1000)
                    rows[(variant, backend, name, i)] = found
    differ = []
    for (variant, backend, name, i), found in rows.items():
        for other in (("current", backend), ("current", "ladybug")):
            if rows[(*other, name, i)] != found:
                differ.append({"query": name, "params": plans[name](i), "store": backend, "variant": variant, "against": list(other)})
                break
    figures: dict = {}
    for (variant, backend, name), values in samples.items():
        figures.setdefault(variant, {}).setdefault(backend, {})[name] = summary(values)
    return figures, differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000, help="articles in the synthetic graph (1M = full scale)")
    parser.add_argument("--upsert-docs", type=int, default=5_000, help="existing articles re-upserted (2 evidence edges each)")
    parser.add_argument("--runs", type=int, default=40, help="runs per named query")
    parser.add_argument("--work", type=Path, help="keep the synthetic tables and the embedded graph in this folder and "
                        "reuse them (and the Neo4j server's copy) while --articles and the store code are the same")
    parser.add_argument("--baseline", metavar="COMMIT", help="also time the queries/ files of COMMIT on the same graphs, "
                        "interleaved with this tree's, and check that both give the same rows")
    parser.add_argument("--no-export", action="store_true", help="skip the export timings")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS.relative_to(REPO)})")
    args = parser.parse_args()
    load_before = os.getloadavg()
    work = args.work or Path(tempfile.mkdtemp(prefix="litgraph-bench-"))
    marker = f"synthetic:{SYNTHETIC_VERSION}:{args.articles}:{store_code_hash()}"
    reuse = args.work is not None and (work / "marker").exists() and (work / "marker").read_text() == marker
    try:
        t = time.perf_counter()
        if not reuse:
            shutil.rmtree(work / "tables", ignore_errors=True)
            shutil.rmtree(work / "graph", ignore_errors=True)
        nodes, edges, ann = synthetic_tables(args.articles)
        if not reuse:
            write_layout(nodes, edges, work / "tables")
        gen_s = time.perf_counter() - t
        n_edges = sum(len(f) for f in edges.values())
        n_nodes = sum(len(f) for f in nodes.values())
        store = LadybugStore(work / "graph")
        result = {
            "machine": f"{os.cpu_count()}-core {platform.machine()} CPU, shared with other jobs",
            "load_average_before": [round(x, 2) for x in load_before],
            "scale": {"articles": args.articles, "nodes": n_nodes, "edges": n_edges, "mentions": len(edges["MENTIONS"]),
                      "relation_edges": sum(len(edges[e]) for e in edges if e not in ("MENTIONS", "HAS_EVIDENCE", "SUBJECT", "OBJECT")),
                      "evidence": len(nodes["Evidence"]), "full_scale_factor": round(1_000_000 / args.articles, 1)},
            "generate_s": round(gen_s, 2),
        }
        rng = np.random.default_rng(1)
        pmids = sorted(rng.choice(nodes["Article"].pmid, args.upsert_docs, replace=False).tolist())
        docs = documents_for(pmids, ann)
        if reuse:
            print(f"reusing the graph in {work}", file=sys.stderr)
            result["bulk_load"] = result["upsert_existing"] = "not run: the graph of an earlier run was reused (--work)"
        else:
            t = time.perf_counter()
            store.bulk_load_parquet(work / "tables")
            load_s = time.perf_counter() - t
            print(f"bulk load: {n_edges} edges in {load_s:.1f} s", file=sys.stderr)
            n_ev = sum(len(d.relations) for d in docs)
            t = time.perf_counter()
            counts = store.upsert_documents(docs)
            upsert_s = time.perf_counter() - t
            print(f"upsert: {len(docs)} documents in {upsert_s:.1f} s", file=sys.stderr)
            result["bulk_load"] = {"seconds": round(load_s, 2), "edges_per_s": round(n_edges / load_s),
                                   "nodes_per_s": round(n_nodes / load_s), "target_edges_per_s": 200_000}
            result["upsert_existing"] = {"documents": len(docs), "evidence_edges": n_ev, "seconds": round(upsert_s, 2),
                                         "evidence_edges_per_s": round(n_ev / upsert_s), "aggregated_edges_updated": counts["edges"]}
            if args.work is not None:
                (work / "marker").write_text(marker)
        stores = {"ladybug": store}
        if os.environ.get("NEO4J_URI"):
            stores["neo4j"], neo4j_load = open_neo4j(work / "tables", docs, marker)
            result["neo4j_load"] = neo4j_load or "not run: the server already held this graph"
        else:
            result["neo4j_load"] = "not run: set NEO4J_URI (and NEO4J_PASSWORD) to a Neo4j 5 server to add its figures"
        from litgraph.query import list_queries

        variants = {"current": {q.name: q for q in list_queries()}}
        if args.baseline:
            variants["baseline"] = baseline_queries(args.baseline, work / f"baseline-queries-{time.time_ns()}")
        figures, differ = time_queries(stores, variants, query_plans(nodes, edges), args.runs)
        for line in differ:
            print(f"rows differ: {line}", file=sys.stderr)
        result["queries"] = figures["current"]
        if args.baseline:
            commit = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=REPO, capture_output=True, text=True).stdout.strip()
            result["baseline"] = {"commit": commit, "queries": figures["baseline"]}
        result["rows_differ"] = differ
        result["query_p95_target_ms"] = 50
        result["database_bytes"] = sum(f.stat().st_size for f in store.folder.iterdir() if f.is_file())
        if not args.no_export:
            timings = {}
            for fmt, target in (("parquet", "export-parquet"), ("csv", "export-csv"), ("graphml", "graph.graphml")):
                t = time.perf_counter()
                export(store, fmt, work / target)
                timings[f"{fmt}_s"] = round(time.perf_counter() - t, 2)
            result["export"] = {**timings, "graphml_bytes": (work / "graph.graphml").stat().st_size}
        for opened in stores.values():
            opened.close()
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            for path in [*work.glob("baseline-queries-*"), *work.glob("export-*"), work / "graph.graphml"]:
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
