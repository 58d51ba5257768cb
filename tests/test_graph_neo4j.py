"""The Neo4j backend: errors without a server always; against a real server when NEO4J_URI is set (docker compose up -d)."""

from __future__ import annotations

import dataclasses
import logging
import os

import pytest

from litgraph.errors import InputError, LitgraphError
from litgraph.settings import Settings
from litgraph.store import open_store
from litgraph.query import run_query
from litgraph.store.schema import NODE_TABLES, REL_TABLES
from tests.fixtures.graph import check_revisions_match_a_fresh_load, check_update_articles
from tests.fixtures.neo4j_server import free_port, needs_kit, private_server

#: Transaction memory allowed on the private server: one upsert of all ``graph_docs`` needs more.
TRANSACTION_CAP = "4m"
SKIP = "NEO4J_URI is not set; start Neo4j (docker compose up -d) and export NEO4J_URI, NEO4J_PASSWORD to run these"


def test_unreachable_server_is_a_clear_error(monkeypatch):
    uri = f"bolt://127.0.0.1:{free_port()}"
    # no password is not an error by itself (a server with auth off needs none): the connection is what fails
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(LitgraphError, match="cannot reach Neo4j") as err:
        open_store(Settings.from_env(graph=uri))
    assert not isinstance(err.value, InputError)
    monkeypatch.setenv("NEO4J_PASSWORD", "not-a-real-secret")
    with pytest.raises(LitgraphError, match="cannot reach Neo4j") as err:
        open_store(Settings.from_env(graph=uri))
    assert "not-a-real-secret" not in str(err.value)


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason=SKIP)
def test_neo4j_matches_the_embedded_store(neo4j_store, built_graph, graph_docs):
    neo4j_store.upsert_documents(graph_docs)
    assert neo4j_store.stats() == built_graph.stats()
    for name, params in (("top-entities", {"limit": 10}), ("top-entities", {"type": "Gene", "limit": 5})):
        assert run_query(neo4j_store, name, params, settings=neo4j_store.settings) == run_query(built_graph, name, params, settings=built_graph.settings)
    # the most mentioned chemical that induces something (the most mentioned of all may induce nothing)
    chemicals = [r["id"] for r in run_query(built_graph, "top-entities", {"type": "Chemical", "limit": 1000}, settings=built_graph.settings)]
    entity = next(c for c in chemicals if run_query(built_graph, "adverse-effects", {"entity": c}, settings=built_graph.settings))
    for name, params in (("adverse-effects", {"entity": entity}), ("co-mentions", {"entity": entity}),
                         ("new-since", {"since": 0})):
        assert run_query(neo4j_store, name, params, settings=neo4j_store.settings) == run_query(built_graph, name, params, settings=built_graph.settings)
    other = run_query(built_graph, "adverse-effects", {"entity": entity}, settings=built_graph.settings)[0]["disease"]
    assert run_query(neo4j_store, "evidence", {"a": entity, "b": other}, settings=neo4j_store.settings) == run_query(built_graph, "evidence", {"a": entity, "b": other}, settings=built_graph.settings)
    assert run_query(neo4j_store, "path", {"a": entity, "b": other}, settings=neo4j_store.settings)[0]["hops"] == 1


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason=SKIP)
def test_neo4j_revised_mention_rows_match_a_fresh_embedded_load(neo4j_store, graph_docs, tmp_path):
    check_revisions_match_a_fresh_load(neo4j_store, graph_docs, tmp_path / "fresh").close()


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason=SKIP)
def test_neo4j_update_articles_keeps_mentions_evidence_and_models(neo4j_store, graph_docs):
    check_update_articles(neo4j_store, graph_docs)


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason=SKIP)
def test_neo4j_idempotent_and_delete(neo4j_store, graph_docs):
    neo4j_store.upsert_documents(graph_docs[:20])
    before = neo4j_store.stats()
    neo4j_store.upsert_documents(graph_docs[:20])
    assert neo4j_store.stats() == before
    assert neo4j_store.delete_articles([graph_docs[0].pmid]) == 1
    assert neo4j_store.stats()["articles"] == before["articles"] - 1
    neo4j_store.set_meta("k", "v")
    assert neo4j_store.get_meta("k") == "v"
    neo4j_store.clear()
    assert neo4j_store.run_cypher("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0
    assert neo4j_store.stats()["articles"] == 0 and not any(neo4j_store.stats()["edges"].values())
    assert neo4j_store.run_cypher("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")[0]["n"] >= len(NODE_TABLES)  # schema kept


def _graph(store) -> dict:
    """Every node and edge of a store, in a canonical order (for comparing two stores whole)."""
    def rows(items) -> list[str]:
        return sorted(repr(sorted(row.items())) for row in items)

    return {"nodes": {label: rows(store.iter_nodes(label)) for label in NODE_TABLES if label != "Meta"},
            "edges": {edge: rows(store.iter_edges(edge)) for edge in REL_TABLES}}


@pytest.mark.neo4j
@pytest.mark.slow
@needs_kit
def test_a_write_too_large_for_the_servers_transaction_memory_is_split(graph_docs, built_graph, tmp_path, caplog):
    with private_server(tmp_path / "server") as server:
        # a per-transaction cap far below what one upsert of all the documents needs
        server.restart_with(f"db.memory.transaction.max={TRANSACTION_CAP}")
        settings = dataclasses.replace(Settings.from_env(graph=server.uri), neo4j_password=server.password)
        with open_store(settings) as store, caplog.at_level(logging.INFO, logger="litgraph.store.base"):
            counts = store.upsert_documents(graph_docs)
            assert "did not fit" in caplog.text and "two halves" in caplog.text
            assert counts["articles"] == len(graph_docs)
            assert store.stats() == built_graph.stats()
            assert _graph(store) == _graph(built_graph)
            caplog.clear()
            assert store.delete_articles([d.pmid for d in graph_docs]) == len(graph_docs)
            assert "deleting" in caplog.text and "two halves" in caplog.text
            assert store.stats()["articles"] == 0 and not store.stats()["edges"]
