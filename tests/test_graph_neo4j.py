"""The Neo4j backend: errors without a server always; against a real server when NEO4J_URI is set (docker compose up -d)."""

from __future__ import annotations

import os

import pytest

from litgraph.errors import InputError, LitgraphError
from litgraph.settings import Settings
from litgraph.store import open_store

SKIP = "NEO4J_URI is not set; start Neo4j (docker compose up -d) and export NEO4J_URI, NEO4J_PASSWORD to run these"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_a_clear_error(monkeypatch):
    uri = f"bolt://127.0.0.1:{_free_port()}"
    # no password is not an error by itself (a server with auth off needs none): the connection is what fails
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(LitgraphError, match="cannot reach Neo4j") as err:
        open_store(Settings.from_env(graph=uri))
    assert not isinstance(err.value, InputError)
    monkeypatch.setenv("NEO4J_PASSWORD", "not-a-real-secret")
    with pytest.raises(LitgraphError, match="cannot reach Neo4j") as err:
        open_store(Settings.from_env(graph=uri))
    assert "not-a-real-secret" not in str(err.value)


@pytest.fixture()
def neo4j_store(data_dir):
    store = open_store(Settings.from_env(corpora=str(data_dir), graph=os.environ["NEO4J_URI"]))
    store.run_cypher("MATCH (n) DETACH DELETE n")
    yield store
    store.run_cypher("MATCH (n) DETACH DELETE n")
    store.close()


@pytest.mark.neo4j
@pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason=SKIP)
def test_neo4j_matches_the_embedded_store(neo4j_store, built_graph, graph_docs):
    neo4j_store.upsert_documents(graph_docs)
    assert neo4j_store.stats() == built_graph.stats()
    for name, params in (("top-entities", {"limit": 10}), ("top-entities", {"type": "Gene", "limit": 5})):
        assert neo4j_store.query(name, params) == built_graph.query(name, params)
    # the most mentioned chemical that induces something (the most mentioned of all may induce nothing)
    chemicals = [r["id"] for r in built_graph.query("top-entities", {"type": "Chemical", "limit": 1000})]
    entity = next(c for c in chemicals if built_graph.query("adverse-effects", {"entity": c}))
    for name, params in (("adverse-effects", {"entity": entity}), ("co-mentions", {"entity": entity}),
                         ("new-since", {"since": 0})):
        assert neo4j_store.query(name, params) == built_graph.query(name, params)
    other = built_graph.query("adverse-effects", {"entity": entity})[0]["disease"]
    assert neo4j_store.query("evidence", {"a": entity, "b": other}) == built_graph.query("evidence", {"a": entity, "b": other})
    assert neo4j_store.query("path", {"a": entity, "b": other})[0]["hops"] == 1


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
