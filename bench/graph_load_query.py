"""Graph store benchmark on a synthetic graph shaped like a large literature build (scaled down).

Shape per article as in a 1M-article build (1M articles, 10M mentions, 2M relation edges): 10 mentions
and 2 relation evidences per article, entity popularity skewed (Zipf-like). Measures: Parquet bulk load
(edges/s), upsert of existing documents (evidence edges/s), p50/p95 of every named query, database size,
export time. Run: python bench/graph_load_query.py [--articles N]. Writes bench/results/graph_load_query.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
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
from litgraph.query import run_query

RESULTS = Path(__file__).resolve().parent / "results" / "graph_load_query.json"


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
    kinds = [("INDUCES", "Chemical", "Disease"), ("TREATS", "Chemical", "Disease"), ("ASSOCIATED_WITH", "Gene", "Disease"),
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
                                 "publication_types": [["Journal Article"]] * n_articles, "hash": "", "models": [["bench@1"]] * n_articles}),
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
    for name, frame in nodes.items():
        pq.write_table(arrow_table(frame, dict(NODE_TABLES[name][0])), folder / "nodes" / f"{name}.parquet")
    for name, frame in edges.items():
        kinds = {"from_label": "STRING", "from": "STRING", "to_label": "STRING", "to": "STRING", **dict(REL_TABLES[name][1])}
        pq.write_table(arrow_table(frame, kinds), folder / "edges" / f"{name}.parquet")


def documents_for(pmids: list[str], ann: dict) -> list[Document]:
    """Documents that restate the annotations already loaded for ``pmids`` (an upsert of existing edges)."""
    ments = ann["mentions"][ann["mentions"].pmid.isin(pmids)]
    evs = ann["evidence"][ann["evidence"].pmid.isin(pmids)]
    docs = []
    for pmid, group in ments.groupby("pmid"):
        title, mentions = "", []
        for label, curie in zip(group.label, group.id):
            start = len(title)
            title += curie.lower() + " "
            mentions.append(Mention(pmid, start, start + len(curie), curie.lower(), label, [curie], 0.9, "bench@1"))
        rels = [Relation(pmid, {"INDUCES": "CID", "TREATS": "Negative_Correlation"}.get(e, "Association"), s, o, 0.9, 0, len(title), "bench@1")
                for e, s, o in zip(evs[evs.pmid == pmid].edge, evs[evs.pmid == pmid].subject, evs[evs.pmid == pmid].object)]
        docs.append(Document(pmid, title=title.strip(), year=ann["years"][pmid], mentions=mentions, relations=rels))
    return docs


def timed(fn, runs: int) -> dict:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2), "runs": runs}


def neo4j_figures(tables: Path, plans: dict, runs: int) -> dict:
    """Bulk load through UNWIND batches and query latencies on the Neo4j server at NEO4J_URI (emptied first)."""
    from litgraph.settings import Settings
    from litgraph.store import open_store

    with open_store(Settings.from_env(graph=os.environ["NEO4J_URI"])) as store:
        while store.run_cypher("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS c")[0]["c"]:
            pass
        t = time.perf_counter()
        loaded = store.bulk_load_parquet(tables)
        seconds = time.perf_counter() - t
        n_edges = sum(v for k, v in loaded.items() if k in REL_TABLES)
        queries = {name: timed(lambda i, name=name, plan=plan: run_query(store, name, plan(i), settings=store.settings), runs) for name, plan in plans.items()}
    return {"bulk_load": {"seconds": round(seconds, 2), "edges_per_s": round(n_edges / seconds), "target_edges_per_s": 50_000},
            "queries": queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles in the synthetic graph (1M = full scale)")
    parser.add_argument("--upsert-docs", type=int, default=5_000, help="existing articles re-upserted (2 evidence edges each)")
    parser.add_argument("--runs", type=int, default=40, help="runs per named query")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="litgraph-bench-"))
    try:
        t = time.perf_counter()
        nodes, edges, ann = synthetic_tables(args.articles)
        write_layout(nodes, edges, work / "tables")
        gen_s = time.perf_counter() - t
        n_edges = sum(len(f) for f in edges.values())
        n_nodes = sum(len(f) for f in nodes.values())
        store = LadybugStore(work / "graph")
        t = time.perf_counter()
        store.bulk_load_parquet(work / "tables")
        load_s = time.perf_counter() - t
        print(f"bulk load: {n_edges} edges in {load_s:.1f} s", file=sys.stderr)
        rng = np.random.default_rng(1)
        pmids = sorted(rng.choice(nodes["Article"].pmid, args.upsert_docs, replace=False).tolist())
        docs = documents_for(pmids, ann)
        n_ev = sum(len(d.relations) for d in docs)
        t = time.perf_counter()
        counts = store.upsert_documents(docs)
        upsert_s = time.perf_counter() - t
        print(f"upsert: {len(docs)} documents in {upsert_s:.1f} s", file=sys.stderr)
        chems = edges["INDUCES"]["from"].value_counts().index[:50].tolist()
        diseases = edges["TREATS"]["to"].value_counts().index[:50].tolist()
        pairs = list(zip(edges["INDUCES"]["from"][:50], edges["INDUCES"]["to"][:50]))
        genes = nodes["Gene"].id[:50].tolist()
        plans = {
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
        queries = {name: timed(lambda i, name=name, plan=plan: run_query(store, name, plan(i), settings=store.settings), args.runs) for name, plan in plans.items()}
        size = sum(f.stat().st_size for f in store.folder.iterdir() if f.is_file())
        print(f"queries done; database {size / 1e6:.1f} MB", file=sys.stderr)
        t = time.perf_counter()
        export(store, "parquet", work / "export-parquet")
        export_parquet_s = time.perf_counter() - t
        t = time.perf_counter()
        export(store, "csv", work / "export-csv")
        export_csv_s = time.perf_counter() - t
        t = time.perf_counter()
        export(store, "graphml", work / "graph.graphml")
        export_graphml_s = time.perf_counter() - t
        store.close()
        neo4j = neo4j_figures(work / "tables", plans, args.runs) if os.environ.get("NEO4J_URI") else None
        result = {
            "machine": f"{os.cpu_count()}-core {platform.machine()} CPU, shared with other jobs",
            "scale": {"articles": args.articles, "nodes": n_nodes, "edges": n_edges, "mentions": len(edges["MENTIONS"]),
                      "relation_edges": sum(len(edges[e]) for e in edges if e not in ("MENTIONS", "HAS_EVIDENCE", "SUBJECT", "OBJECT")),
                      "evidence": len(nodes["Evidence"]), "full_scale_factor": round(1_000_000 / args.articles, 1)},
            "generate_s": round(gen_s, 2),
            "bulk_load": {"seconds": round(load_s, 2), "edges_per_s": round(n_edges / load_s), "nodes_per_s": round(n_nodes / load_s),
                          "target_edges_per_s": 200_000},
            "upsert_existing": {"documents": len(docs), "evidence_edges": n_ev, "seconds": round(upsert_s, 2),
                                "evidence_edges_per_s": round(n_ev / upsert_s), "aggregated_edges_updated": counts["edges"]},
            "queries": queries,
            "query_p95_target_ms": 50,
            "database_bytes": size,
            "export": {"parquet_s": round(export_parquet_s, 2), "csv_s": round(export_csv_s, 2),
                       "graphml_s": round(export_graphml_s, 2), "graphml_bytes": (work / "graph.graphml").stat().st_size},
            "neo4j": neo4j or "not run: set NEO4J_URI (and NEO4J_PASSWORD) to a Neo4j 5 server to add its figures",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
