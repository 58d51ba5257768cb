"""Parity of the two stores: every named query gives the same rows in the same order on LadybugDB and on a
real Neo4j server (NEO4J_URI), with its ``example:`` parameters and with edge cases; errors are litgraph
errors with the contract's exit codes on both."""

from __future__ import annotations

import copy
import os
import shlex

import pytest
from click.testing import CliRunner

from litgraph.cli import main
from litgraph.errors import InputError, LitgraphError
from litgraph.query import run_query, get_query, list_queries
from litgraph.settings import Settings
from litgraph.store import open_store

SKIP = "NEO4J_URI is not set; start Neo4j (docker compose up -d) and export NEO4J_URI, NEO4J_PASSWORD to run these"
pytestmark = [pytest.mark.neo4j, pytest.mark.skipif(not os.environ.get("NEO4J_URI"), reason=SKIP)]


@pytest.fixture(scope="module")
def stores(graph_docs, data_dir, tmp_path_factory):
    """The same gold documents (given publication years, so that year orderings and new-since are exercised)
    in a fresh embedded store and in the Neo4j server."""
    docs = copy.deepcopy(graph_docs)
    for i, doc in enumerate(docs):
        doc.year = 1990 + i % 30
    settings = Settings.from_env(corpora=str(data_dir), graph=str(tmp_path_factory.mktemp("parity")))
    embedded = open_store(settings)
    embedded.upsert_documents(docs)
    neo4j = open_store(Settings.from_env(corpora=str(data_dir), graph=os.environ["NEO4J_URI"]))
    neo4j.clear()
    neo4j.upsert_documents(docs)
    yield embedded, neo4j
    neo4j.clear()
    neo4j.close()
    embedded.close()


def _outcome(store, name, params):
    try:
        return run_query(store, name, dict(params), settings=store.settings)
    except LitgraphError as err:
        return (type(err).__name__, err.exit_code, str(err))


def _same(stores, name, params) -> list | tuple:
    embedded, neo4j = stores
    left, right = _outcome(embedded, name, params), _outcome(neo4j, name, params)
    assert left == right, (name, params)
    return left


def _example_params(query) -> dict:
    words = shlex.split(query.example)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w in ("--param", "-p"))


def test_stores_hold_the_same_graph(stores):
    embedded, neo4j = stores
    assert embedded.stats() == neo4j.stats()


def test_every_example_gives_the_same_rows(stores):
    for query in list_queries():
        _same(stores, query.name, _example_params(query))


def _entities(stores, kind, n=6):
    return [r["id"] for r in run_query(stores[0], "top-entities", {"type": kind, "limit": n}, settings=stores[0].settings)]


def test_every_query_on_the_most_connected_entities(stores):
    embedded, _ = stores
    chemicals, diseases, genes = _entities(stores, "Chemical"), _entities(stores, "Disease"), _entities(stores, "Gene", 3)
    # and the endpoints of TREATS edges, which the most mentioned entities may lack
    treats = embedded.run_cypher("MATCH (c:Chemical)-[:TREATS]->(d:Disease) RETURN c.id AS cid, d.id AS did ORDER BY cid, did LIMIT 3")
    chemicals += [r["cid"] for r in treats]
    diseases += [r["did"] for r in treats]
    nonempty = set()
    for query in list_queries():
        kinds = {p.name: p for p in query.params}
        cases = []
        if set(kinds) <= {"type", "limit"}:
            cases = [{}, {"type": "Gene"}, {"type": "Chemical", "limit": 1000}, {"limit": 1000}]
        elif "since" in kinds:
            cases = [{"since": y, "limit": 1000} for y in (0, 2000, 2015, 3000)]
        elif set(kinds) >= {"a", "b"}:
            cases = [{"a": a, "b": b, "limit": 1000} for a in chemicals for b in diseases + genes]
            cases += [{"a": b, "b": a} for a in chemicals[:2] for b in diseases[:2]]  # the other way round
            cases = [{k: v for k, v in c.items() if k in kinds} for c in cases]
        else:
            (param,) = [p for p in query.params if p.kind == "entity"]
            pool = {"Chemical": chemicals, "Disease": diseases}
            values = [v for t in (param.types or ("Chemical", "Disease", "Gene")) for v in pool.get(t, genes)]
            cases = [{param.name: v, "limit": 1000} for v in values]
        for params in cases:
            rows = _same(stores, query.name, params)
            if isinstance(rows, list) and rows:
                nonempty.add(query.name)
    # every query found something somewhere, so the comparisons above compared rows, not just empty lists
    assert nonempty == {q.name for q in list_queries()}


def test_edge_cases_give_the_same_answer(stores):
    embedded, _ = stores
    chemical = _entities(stores, "Chemical", 1)[0]
    name = embedded.run_cypher("MATCH (c:Chemical {id: $i}) RETURN c.name AS n", {"i": chemical})[0]["n"]
    for query in list_queries():
        entity_params = [p for p in query.params if p.kind == "entity"]
        base = {p.name: chemical if not p.types or "Chemical" in p.types else _entities(stores, p.types[0], 1)[0]
                for p in entity_params}
        if query.name == "new-since":
            base = {"since": 2000}
        if any(p.name == "limit" for p in query.params):
            assert _same(stores, query.name, {**base, "limit": 0}) == []
            for bad in (-1, -25):
                outcome = _same(stores, query.name, {**base, "limit": bad})
                assert outcome[:2] == ("InputError", 2) and "limit" in outcome[2]
        for p in entity_params:
            unknown_curie = _same(stores, query.name, {**base, p.name: "MESH:D999999999"})
            assert unknown_curie == []
            unknown_name = _same(stores, query.name, {**base, p.name: "no such entity zzq"})
            assert unknown_name[:2] == ("InputError", 2)
            if not p.types or "Chemical" in p.types:
                assert _same(stores, query.name, {**base, p.name: name.upper()}) == _same(stores, query.name, base)


def test_a_equals_b(stores):
    embedded, neo4j = stores
    for entity in _entities(stores, "Chemical") + _entities(stores, "Disease"):
        assert _same(stores, "path", {"a": entity, "b": entity}) == []
        # no evidence here relates an entity to itself, so one SUBJECT/OBJECT edge must not match both ends
        assert _same(stores, "evidence", {"a": entity, "b": entity}) == []


def test_path_ties_are_broken_the_same_way(stores):
    embedded, neo4j = stores
    rel = ("INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|"
           "COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS")
    assert rel in get_query("path").text("")
    tied = neo4j.run_cypher(
        "MATCH (x:Chemical)<-[:MENTIONS]-(:Article)-[:MENTIONS]->(y:Disease) WITH DISTINCT x, y LIMIT 500 "
        f"MATCH p = allShortestPaths((x)-[:{rel}*..6]-(y)) WITH x, y, count(p) AS n, min(length(p)) AS hops "
        "WHERE n > 1 RETURN x.id AS a, y.id AS b, n, hops ORDER BY n DESC, a, b LIMIT 25")
    assert len(tied) >= 5 and {t["hops"] for t in tied} == {2}
    for t in tied:
        row = _same(stores, "path", {"a": t["a"], "b": t["b"]})[0]
        assert row["ids"][0] == t["a"] and row["ids"][-1] == t["b"] and row["hops"] == t["hops"]
        # the first of the shortest paths by node ids: no other shortest path has a smaller middle node
        via = neo4j.run_cypher(f"MATCH (x:Entity {{id: $a}})-[:{rel}]-(m)-[:{rel}]-(y:Entity {{id: $b}}) "
                               "RETURN min(coalesce(m.id, m.pmid)) AS m", t)[0]["m"]
        assert row["ids"][1] == via


def test_driver_errors_are_litgraph_errors(stores):
    embedded, neo4j = stores
    with pytest.raises(InputError, match="refused the statement"):
        neo4j.run_cypher("MATCH (n) RETURN n +")
    with pytest.raises(InputError, match="refused the statement"):
        embedded.run_cypher("MATCH (n:NoSuchTable) RETURN n")
    # a server-side failure (shortestPath between a node and itself) is exit 1, not bad input
    with pytest.raises(LitgraphError) as err:
        neo4j.run_cypher("MATCH (x:Chemical) WITH x LIMIT 1 MATCH p = shortestPath((x)-[*..2]-(x)) RETURN p")
    assert err.value.exit_code == 1 and "Neo4j failed" in str(err.value)


def test_cli_exit_codes_without_tracebacks(stores, monkeypatch):
    embedded, _ = stores
    runner = CliRunner()
    chemical = _entities(stores, "Chemical", 1)[0]
    monkeypatch.delenv("LITGRAPH_DEBUG", raising=False)
    for graph in (os.environ["NEO4J_URI"], str(embedded.folder)):
        if graph == str(embedded.folder):
            embedded.close()  # LadybugDB allows one writer; the CLI opens its own
        result = runner.invoke(main, ["query", "top-entities", "-p", "limit=-1", "--graph", graph])
        assert result.exit_code == 2 and "limit" in result.output and "Traceback" not in result.output, result.output
        result = runner.invoke(main, ["query", "path", "-p", f"a={chemical}", "-p", f"b={chemical}", "--graph", graph,
                                      "--format", "json"])
        assert result.exit_code == 0 and result.output.strip() == "[]", result.output
    stores[0].__init__(embedded.folder, settings=embedded.settings)  # reopen for later tests


def test_credentials(monkeypatch):
    uri = os.environ["NEO4J_URI"]
    runner = CliRunner()
    monkeypatch.setenv("NEO4J_PASSWORD", "certainly-not-the-password")
    result = runner.invoke(main, ["stats", "--graph", uri])
    assert result.exit_code == 2 and "NEO4J_PASSWORD" in result.output and "Traceback" not in result.output
    assert "certainly-not-the-password" not in result.output
    monkeypatch.delenv("NEO4J_PASSWORD")
    with pytest.raises(InputError, match="needs a password: set NEO4J_PASSWORD"):
        open_store(Settings.from_env(graph=uri))


def test_no_notification_warnings(stores, caplog):
    _, neo4j = stores
    with caplog.at_level("WARNING"):
        neo4j.run_cypher("MATCH (n:NoSuchLabelAnywhere) RETURN n.no_such_property AS x")
        run_query(neo4j, "new-since", {"since": 2000}, settings=neo4j.settings)
    assert not [r for r in caplog.records if r.name.startswith("neo4j")]
