"""Export formats and the litgraph query / stats / export commands on a real embedded graph."""

from __future__ import annotations

import csv
import json

import pandas as pd
from click.testing import CliRunner

from litgraph.cli import main
from litgraph.export import export, read_graphml, to_networkx
from litgraph.query import run_query


def test_graphml_round_trips_through_networkx(built_graph, tmp_path):
    graph = to_networkx(built_graph)
    stats = built_graph.stats()
    assert graph.number_of_nodes() == sum(stats["nodes"].values())
    assert graph.number_of_edges() == sum(stats["edges"].values())
    back = read_graphml(export(built_graph, "graphml", tmp_path / "g.graphml"))
    assert sorted(back.nodes(data=True)) == sorted(graph.nodes(data=True))
    assert sorted(back.edges(keys=True, data=True), key=str) == sorted(graph.edges(keys=True, data=True), key=str)
    u, v, attrs = next((u, v, a) for u, v, a in back.edges(data=True) if a["type"] == "INDUCES")
    assert isinstance(attrs["pmids"], list) and attrs["evidence_count"] == len(attrs["pmids"])


def test_tables_match_stats(built_graph, tmp_path):
    stats = built_graph.stats()
    pq_dir = export(built_graph, "parquet", tmp_path / "pq")
    csv_dir = export(built_graph, "csv", tmp_path / "csv")
    for label, n in stats["nodes"].items():
        assert len(pd.read_parquet(pq_dir / "nodes" / f"{label}.parquet")) == n
        assert len(pd.read_csv(csv_dir / "nodes" / f"{label}.csv")) == n
    for edge, n in stats["edges"].items():
        assert len(pd.read_parquet(pq_dir / "edges" / f"{edge}.parquet")) == n
    induces = pd.read_csv(csv_dir / "edges" / "INDUCES.csv")
    assert all(isinstance(json.loads(p), list) for p in induces["pmids"])


def test_neo4j_import_files(built_graph, tmp_path):
    out = export(built_graph, "neo4j-import", tmp_path / "n4j")
    with open(out / "nodes_Chemical.csv", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[0] == "id:ID(Chemical)" and header[-1] == ":LABEL" and "synonyms:string[]" in header
    with open(out / "edges_INDUCES_Chemical_Disease.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and rows[0][":TYPE"] == "INDUCES" and int(rows[0]["evidence_count:long"]) >= 1
    script = (out / "import.sh").read_text()
    assert "neo4j-admin database import full" in script and "--nodes=Chemical=nodes_Chemical.csv" in script


def test_query_subgraph_export(built_graph, tmp_path):
    entity = run_query(built_graph, "top-entities", {"type": "Disease", "limit": 1}, settings=built_graph.settings)[0]["id"]
    rows = run_query(built_graph, "adverse-effects", {"entity": entity}, settings=built_graph.settings)
    sub = to_networkx(built_graph, "adverse-effects", {"entity": entity})
    assert entity in sub and {r["chemical"] for r in rows} <= set(sub)
    assert {a["type"] for *_, a in sub.edges(data=True)} >= {"INDUCES"}
    out = export(built_graph, "graphml", tmp_path / "sub.graphml", "adverse-effects", {"entity": entity})
    assert read_graphml(out).number_of_nodes() == sub.number_of_nodes()


def test_cli_query_stats_export(built_graph, tmp_path):
    # the session store holds the database; the CLI opens its own copy
    copy = tmp_path / "copy"
    export(built_graph, "parquet", tmp_path / "pq")
    from litgraph.store.backends.ladybug import LadybugStore

    with LadybugStore(copy) as store:
        store.bulk_load_parquet(tmp_path / "pq")
    runner = CliRunner()
    entity = run_query(built_graph, "top-entities", {"type": "Chemical", "limit": 1}, settings=built_graph.settings)[0]["id"]
    result = runner.invoke(main, ["query", "adverse-effects", "--param", f"entity={entity}", "--graph", str(copy), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == run_query(built_graph, "adverse-effects", {"entity": entity}, settings=built_graph.settings)
    result = runner.invoke(main, ["query", "top-entities", "-p", "limit=3", "--graph", str(copy), "--format", "csv"])
    assert result.exit_code == 0 and result.output.splitlines()[0] == "id,name,type,articles"
    result = runner.invoke(main, ["query", "top-entities", "-p", "limit=3", "--graph", str(copy)])
    assert result.exit_code == 0 and "articles" in result.output.splitlines()[0]
    result = runner.invoke(main, ["query", "--list"])
    assert result.exit_code == 0 and "repurposing" in result.output
    result = runner.invoke(main, ["stats", "--graph", str(copy), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.output) == built_graph.stats()
    out = tmp_path / "g.graphml"
    result = runner.invoke(main, ["export", "--format", "graphml", "--out", str(out), "--graph", str(copy)])
    assert result.exit_code == 0 and out.exists()
    for bad in (["query", "top-entities", "-p", "limit", "--graph", str(copy)],
                ["query", "adverse-effects", "-p", "entity=zzz-unknown", "--graph", str(copy)],
                ["query", "nope", "--graph", str(copy)],
                ["stats", "--graph", str(tmp_path / "missing")]):
        result = runner.invoke(main, bad)
        assert result.exit_code == 2, (bad, result.output)
