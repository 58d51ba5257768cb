"""Exports of a graph built by the CLI read back whole: GraphML through ``read_graphml``, and the
``neo4j-import`` folder through a real ``neo4j-admin database import`` into a real Neo4j 5 server."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from litgraph.cli import main
from litgraph.export import export, read_graphml, to_networkx
from litgraph.settings import Settings
from litgraph.store import aggregates, open_store
from litgraph.store.schema import NODE_TABLES, REL_TABLES
from tests.fixtures.neo4j_server import needs_kit, private_server, wait_for
from tests.test_graph_neo4j_aggregates import check_recount


@pytest.fixture(scope="module")
def cli_graph(data_dir, tmp_path_factory) -> Path:
    """A graph built by ``litgraph build`` from two corpora's own annotations (model versions, empty lists,
    every entity type)."""
    folder = tmp_path_factory.mktemp("cli-graph") / "graph"
    result = CliRunner().invoke(main, ["build", "bc5cdr:dev", "biored:dev", "--annotated", "--graph", str(folder),
                                       "--corpora", str(data_dir)])
    assert result.exit_code == 0, result.output
    return folder


def test_graphml_of_a_cli_built_graph_reads_back(cli_graph, tmp_path):
    out = tmp_path / "g.graphml"
    result = CliRunner().invoke(main, ["export", "--format", "graphml", "--out", str(out), "--graph", str(cli_graph)])
    assert result.exit_code == 0, result.output
    with open_store(Settings.from_env(graph=str(cli_graph)), read_only=True) as store:
        graph = to_networkx(store)
    back = read_graphml(out)
    assert sorted(back.nodes(data=True)) == sorted(graph.nodes(data=True))
    assert sorted(back.edges(keys=True, data=True), key=str) == sorted(graph.edges(keys=True, data=True), key=str)
    # the case that used to fail: `model` is a list on relation edges and a string on Evidence nodes
    evidence = next(a for _, a in back.nodes(data=True) if a["label"] == "Evidence" and "model" in a)
    induces = next(a for *_, a in back.edges(data=True) if a["type"] == "INDUCES")
    assert isinstance(evidence["model"], str) and isinstance(induces["model"], list) and induces["model"]


def test_exports_get_normal_permissions(cli_graph, tmp_path):
    umask = os.umask(0o022)
    try:
        with open_store(Settings.from_env(graph=str(cli_graph)), read_only=True) as store:
            files = [export(store, "graphml", tmp_path / "g.graphml"), export(store, "csv", tmp_path / "csv") / "nodes" / "Chemical.csv",
                     export(store, "neo4j-import", tmp_path / "n4j") / "nodes_Chemical.csv"]
            folders = [tmp_path / "csv", tmp_path / "csv" / "nodes", tmp_path / "n4j", export(store, "parquet", tmp_path / "pq")]
    finally:
        os.umask(umask)
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o644}
    assert {stat.S_IMODE(f.stat().st_mode) for f in folders} == {0o755}
    assert stat.S_IMODE((tmp_path / "n4j" / "import.sh").stat().st_mode) == 0o755


def _rows(store, label: str) -> list[dict]:
    key = NODE_TABLES[label][1]
    return sorted(store.iter_nodes(label), key=lambda r: r[key])


def _edges(store, edge: str) -> list[dict]:
    return sorted(store.iter_edges(edge), key=lambda r: (r["from_label"], r["from"], r["to_label"], r["to"]))


def _read(uri: str, password: str, statement: str) -> list[dict]:
    """Rows of one statement, read with the driver alone (before any litgraph store has opened the graph)."""
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=("neo4j", password)) as driver:
        records, _, _ = driver.execute_query(statement)
    return [r.data() for r in records]


@pytest.mark.neo4j
@pytest.mark.slow
@needs_kit
def test_neo4j_admin_import_gives_back_the_graph(cli_graph, tmp_path, monkeypatch):
    out = tmp_path / "import"
    result = CliRunner().invoke(main, ["export", "--format", "neo4j-import", "--out", str(out), "--graph", str(cli_graph)])
    assert result.exit_code == 0, result.output
    steps = json.loads(result.output)["next"]  # the command says what to run next
    assert "sh import.sh" in steps[0] and "--after-import | cypher-shell" in steps[1]
    with private_server(tmp_path / "server") as server:
        uri, password = server.uri, server.password
        server.neo4j("stop")
        imported = subprocess.run(["sh", "import.sh"], cwd=out, env=server.env, capture_output=True, text=True, timeout=300)
        assert imported.returncode == 0, imported.stdout[-2000:] + imported.stderr[-2000:]
        server.neo4j("start")
        wait_for(uri, password)
        # the documented second step: set the lists neo4j-admin left out back to []
        cypher = subprocess.run(["sh", "import.sh", "--after-import"], cwd=out, capture_output=True, text=True, check=True).stdout
        assert "n.synonyms = coalesce(n.synonyms, [])" in cypher
        shell = subprocess.run([str(server.home / "bin" / "cypher-shell"), "-a", uri, "-u", "neo4j", "-p", password],
                               input=cypher, env=server.env, capture_output=True, text=True, timeout=300)
        assert shell.returncode == 0, shell.stderr
        # the aggregates came with the import: the first open finds them current and leaves them as they are
        imported = _read(uri, password, "MATCH (m:Meta {key: 'aggregates'}) RETURN m.value AS v, "
                                        "COUNT { ()-[:CO_MENTIONED]->() } AS pairs, COUNT { (e:Entity) WHERE e.articles > 0 } AS counted")
        assert imported[0]["v"] == aggregates.VERSION and imported[0]["pairs"] > 0 and imported[0]["counted"] > 0
        with open_store(Settings.from_env(graph=str(cli_graph)), read_only=True) as embedded, \
                open_store(dataclasses.replace(Settings.from_env(graph=uri), neo4j_password=password)) as neo4j:
            assert neo4j.stats() == embedded.stats()
            articles = embedded.stats()["articles"]
            for label in NODE_TABLES:
                if label != "Meta":
                    assert _rows(neo4j, label) == _rows(embedded, label), label
            for edge in REL_TABLES:
                assert _edges(neo4j, edge) == _edges(embedded, edge), edge
            empty = [r for r in _rows(neo4j, "Chemical") if r["synonyms"] == []]
            assert empty, "the graph has entities without synonyms, so empty lists were checked"
            check_recount(neo4j)  # every count and co-mention edge exact, one edge per pair
            assert _read(uri, password, "MATCH ()-[c:CO_MENTIONED]->() RETURN count(c) AS n") == [{"n": imported[0]["pairs"]}]
        # the same server with authentication off: no NEO4J_PASSWORD needed
        server.neo4j("stop")
        conf = server.home / "conf" / "neo4j.conf"
        conf.write_text(conf.read_text().replace("dbms.security.auth_enabled=true", "dbms.security.auth_enabled=false"))
        server.neo4j("start")
        wait_for(uri, password)
        settings = dataclasses.replace(Settings.from_env(graph=uri), neo4j_password=None)
        with open_store(settings) as no_auth:
            assert no_auth.stats()["articles"] == articles
