"""Every named query on a real embedded graph, checked against what the gold annotations say."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from litgraph.errors import InputError
from litgraph.export import export
from litgraph.query import get_query, list_queries, query_frame, run_query
from litgraph.settings import Settings
from litgraph.store import open_store

NAMES = {"drugs-for-disease", "diseases-for-drug", "adverse-effects", "evidence", "repurposing", "co-mentions", "path",
         "top-entities", "new-since"}


def _types(doc):
    return {i: m.type for m in doc.mentions for i in m.ids}


def _relations(docs, kind, first, second):
    """(first-type id, second-type id) -> PMIDs for relations of ``kind`` between those entity types."""
    found = defaultdict(set)
    for doc in docs:
        types = _types(doc)
        for rel in doc.relations:
            ends = {types.get(rel.subject): rel.subject, types.get(rel.object): rel.object}
            if rel.type == kind and first in ends and second in ends and first != second:
                found[(ends[first], ends[second])].add(doc.pmid)
    return found


def test_library_has_every_query_with_header():
    queries = {q.name: q for q in list_queries()}
    assert NAMES <= set(queries)
    for q in queries.values():
        assert q.description and q.example.startswith(f"litgraph query {q.name}")
        assert "ladybug" not in q.texts or q.texts["ladybug"] != q.texts[""]
    assert {p.name for p in get_query("evidence").params} == {"a", "b", "limit"}
    assert get_query("drugs-for-disease").params[0].types == ("Disease",)


def test_adverse_effects_has_known_cid_pairs(built_graph, graph_docs):
    cid = _relations(graph_docs, "CID", "Chemical", "Disease")
    (chem, dis), pmids = max(cid.items(), key=lambda kv: (len(kv[1]), kv[0]))
    rows = run_query(built_graph, "adverse-effects", {"entity": chem, "limit": 100})
    hit = next(r for r in rows if r["disease"] == dis)
    assert hit["evidence_count"] >= len(pmids) and set(pmids) <= set(hit["pmids"])
    assert {d for (c, d) in cid if c == chem} <= {r["disease"] for r in rows}
    reverse = run_query(built_graph, "adverse-effects", {"entity": dis, "limit": 100})
    assert chem in {r["chemical"] for r in reverse}
    counts = [r["evidence_count"] for r in reverse]
    assert counts == sorted(counts, reverse=True)


def test_drugs_and_diseases_from_negative_correlations(built_graph, graph_docs):
    treats = _relations(graph_docs, "Negative_Correlation", "Chemical", "Disease")
    assert treats
    (chem, dis), _ = sorted(treats.items())[0]
    assert chem in {r["chemical"] for r in run_query(built_graph, "drugs-for-disease", {"disease": dis, "limit": 500})}
    assert dis in {r["disease"] for r in run_query(built_graph, "diseases-for-drug", {"chemical": chem, "limit": 500})}


def test_evidence_newest_first_with_retractions(store, docs):
    cid = _relations(docs, "CID", "Chemical", "Disease")
    (chem, dis), pmids = next((k, v) for k, v in sorted(cid.items()) if len(v) >= 2)
    ordered = sorted(pmids)
    years = {pmid: 2001 + i for i, pmid in enumerate(ordered)}
    for doc in docs:
        doc.year = years.get(doc.pmid)
        doc.retracted = doc.pmid == ordered[0]
    store.upsert_documents(docs)
    rows = run_query(store, "evidence", {"a": dis, "b": chem})
    mine = [r for r in rows if r["edge"] == "INDUCES"]
    assert [r["pmid"] for r in mine] == sorted(pmids, key=years.get, reverse=True)
    assert [r["retracted"] for r in mine][-1] is True and not any(r["retracted"] for r in mine[:-1])
    assert all(r["sentence"] for r in mine)
    since = run_query(store, "new-since", {"since": max(years.values())})
    assert all(r["first_year"] >= max(years.values()) for r in since)
    assert (chem, dis) not in {(r["subject"], r["object"]) for r in since}
    earlier = run_query(store, "new-since", {"since": min(years.values()), "limit": 1000})
    assert (chem, dis, "INDUCES") in {(r["subject"], r["object"], r["edge"]) for r in earlier}


def test_repurposing_follows_chemical_gene_disease(built_graph, graph_docs):
    links = defaultdict(set)  # BioRED pairs in any relation type: chemical-gene and gene-disease
    for doc in graph_docs:
        types = _types(doc)
        for rel in doc.relations:
            pair = {types.get(rel.subject): rel.subject, types.get(rel.object): rel.object}
            if "Gene" in pair and ("Chemical" in pair or "Disease" in pair):
                other = "Chemical" if "Chemical" in pair else "Disease"
                links[(other, pair[other])].add(pair["Gene"])
    treats = _relations(graph_docs, "Negative_Correlation", "Chemical", "Disease")
    candidates = [(c, d, links[("Chemical", c)] & links[("Disease", d)])
                  for (kind, c) in links if kind == "Chemical" for (k2, d) in links if k2 == "Disease"]
    chem, dis, genes = next((c, d, g) for c, d, g in sorted(candidates) if g and (c, d) not in treats)
    rows = run_query(built_graph, "repurposing", {"disease": dis, "limit": 1000})
    hit = next(r for r in rows if r["chemical"] == chem)
    assert hit["genes"] >= len(genes)


def test_co_mentions_count_shared_articles(built_graph, graph_docs):
    per_doc = [(d.pmid, {i for m in d.mentions for i in m.ids}) for d in graph_docs]
    entity = Counter(i for _, ids in per_doc for i in ids).most_common(1)[0][0]
    expected = Counter(i for _, ids in per_doc if entity in ids for i in ids if i != entity)
    rows = run_query(built_graph, "co-mentions", {"entity": entity, "limit": 10})
    assert rows and all(r["articles"] == expected[r["id"]] for r in rows)
    assert rows[0]["articles"] == max(expected.values())
    assert rows[0]["type"] in {"Chemical", "Disease", "Gene", "Variant", "Species", "CellLine"}


def mentioned_entities(doc) -> set[tuple[str, str]]:
    """(type, id) of the entity nodes a document's mentions load into (the first type given to an id wins)."""
    labels: dict[str, str] = {}
    for m in doc.mentions:
        for i in m.ids:
            labels.setdefault(i, m.type)
    return {(t, i) for i, t in labels.items()}


def check_precomputed_counts(store, docs) -> None:
    """top-entities and co-mentions (read from precomputed counts) agree with counting the documents."""
    per_doc = [mentioned_entities(d) for d in docs]
    articles = Counter(e for entities in per_doc for e in entities)
    rows = run_query(store, "top-entities", {"limit": 100_000})
    assert {(r["type"], r["id"]): r["articles"] for r in rows} == dict(articles)
    for entity, _ in articles.most_common(5) + articles.most_common()[-3:]:
        expected = Counter(o for entities in per_doc if entity in entities for o in entities if o[1] != entity[1])
        rows = run_query(store, "co-mentions", {"entity": entity[1], "limit": 100_000})
        assert {(r["type"], r["id"]): r["articles"] for r in rows} == dict(expected), entity


def test_precomputed_counts_follow_revisions_and_deletions(store, docs, tmp_path):
    store.upsert_documents(docs)
    check_precomputed_counts(store, docs)
    revised = copy.deepcopy(docs[:30])
    for doc in revised:  # a revision drops half of the mentions and gains another article's
        doc.mentions = doc.mentions[: len(doc.mentions) // 2] + docs[-1 - len(revised) + revised.index(doc)].mentions[:3]
    store.upsert_documents(revised)
    store.delete_articles([d.pmid for d in docs[30:60]])
    live = revised + docs[60:]
    check_precomputed_counts(store, live)
    store.upsert_documents(live)  # unchanged articles move no count
    check_precomputed_counts(store, live)
    # a graph written before the counts existed (or whose counts are stale) gets them back when opened
    store.run_cypher("MATCH ()-[c:CO_MENTIONED]->() SET c.articles = 0")
    store.run_cypher("MATCH (m:Meta {key: 'aggregates'}) DELETE m")
    store.close()
    store.__init__(store.folder, settings=store.settings)
    check_precomputed_counts(store, live)
    # and a bulk load computes them
    export(store, "parquet", tmp_path / "tables")
    with open_store(Settings.from_env(graph=str(tmp_path / "bulk"))) as bulk:
        bulk.bulk_load_parquet(tmp_path / "tables")
        check_precomputed_counts(bulk, live)


def test_top_entities_by_articles(built_graph, graph_docs):
    counts = Counter(i for d in graph_docs for i in {i for m in d.mentions if m.type == "Chemical" for i in m.ids})
    rows = run_query(built_graph, "top-entities", {"type": "Chemical", "limit": 5})
    assert [r["articles"] for r in rows] == [n for _, n in counts.most_common(5)]
    assert all(r["type"] == "Chemical" for r in rows)
    assert len(run_query(built_graph, "top-entities", {})) == 25


def test_path_between_entities(built_graph, graph_docs):
    (chem, dis), _ = sorted(_relations(graph_docs, "CID", "Chemical", "Disease").items())[0]
    rows = run_query(built_graph, "path", {"a": chem, "b": dis})
    assert rows[0]["hops"] == 1 and rows[0]["ids"] == [chem, dis] and rows[0]["edges"] == ["INDUCES"]
    doc = graph_docs[0]
    a, b = sorted({i for m in doc.mentions if m.type == "Chemical" for i in m.ids})[:1] + \
        sorted({i for m in doc.mentions if m.type == "Disease" for i in m.ids})[:1]
    path = run_query(built_graph, "path", {"a": a, "b": b})[0]
    assert path["ids"][0] == a and path["ids"][-1] == b and path["hops"] <= 2


def test_entity_names_resolve_through_the_graph(built_graph, graph_docs):
    cid = _relations(graph_docs, "CID", "Chemical", "Disease")
    (chem, _), _ = sorted(cid.items())[0]
    name = built_graph.run_cypher("MATCH (c:Chemical {id: $i}) RETURN c.name AS n", {"i": chem})[0]["n"]
    by_name = run_query(built_graph, "adverse-effects", {"entity": name.upper()})
    assert by_name == run_query(built_graph, "adverse-effects", {"entity": chem})
    with pytest.raises(InputError, match="no Chemical/Disease entity named 'no such thing'"):
        run_query(built_graph, "adverse-effects", {"entity": "no such thing"})
    with pytest.raises(InputError, match="needs --param disease"):
        run_query(built_graph, "drugs-for-disease", {})
    with pytest.raises(InputError, match="whole number"):
        run_query(built_graph, "top-entities", {"limit": "many"})
    with pytest.raises(InputError, match="no query named 'nope'"):
        run_query(built_graph, "nope", {})
    assert run_query(built_graph, "drugs-for-disease", {"disease": "MESH:D999999999"}) == []


def test_store_query_and_dataframe(built_graph):
    frame = query_frame(built_graph, "top-entities", {"limit": 3})
    assert list(frame.columns) == ["id", "name", "type", "articles"] and len(frame) == 3
    empty = query_frame(built_graph, "drugs-for-disease", {"disease": "MESH:D999999999"})
    assert empty.empty and list(empty.columns)[:2] == ["chemical", "name"]
    assert run_query(built_graph, "top-entities", {"limit": 3}, settings=built_graph.settings) == frame.to_dict("records")


@pytest.mark.slow
def test_queries_ship_in_the_wheel(tmp_path):
    repo = Path(__file__).resolve().parent.parent
    if not shutil.which("pip", path=str(Path(sys.executable).parent)):
        pytest.skip("pip not available in this environment")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
                    str(repo)], check=True, cwd=tmp_path)
    wheel = next(tmp_path.glob("litgraph-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if "/data/share/litgraph/queries/" in n}
    assert {f"{name}.cypher" for name in NAMES} <= shipped
    assert "path.ladybug.cypher" in shipped


def test_dialects_stay_apart():
    """The portable files use no LadybugDB-only syntax and the overrides no Neo4j-only syntax."""
    kuzu_only = ("label(", "list_transform(", "SHORTEST", "{label:", "list_contains(")
    neo4j_only = ("labels(", "type(", "shortestPath(", ":Entity")
    for q in list_queries():
        assert not [w for w in kuzu_only if w in q.texts[""]], q.name
        if "ladybug" in q.texts:
            assert not [w for w in neo4j_only if w in q.texts["ladybug"]], q.name
        else:
            assert not [w for w in neo4j_only if w in q.texts[""]], f"{q.name} needs a ladybug override"


def test_statements_are_tried_in_turn(built_graph, tmp_path):
    """A file of several statements (separated by a line holding only ``;``) answers with the first that has rows."""
    from litgraph.query import load_queries, statements

    (tmp_path / "chain.cypher").write_text(
        "// name: chain\n// description: a chain\n// param: limit int = 2  rows\n// example: litgraph query chain\n"
        "MATCH (a:Article) WHERE a.pmid = 'no such pmid' RETURN a.pmid AS pmid\n;\n"
        "MATCH (a:Article) RETURN a.pmid AS pmid ORDER BY pmid LIMIT $limit\n;\n"
        "MATCH (a:Article) RETURN DISTINCT 'not reached' AS pmid\n")
    query = load_queries(tmp_path)["chain"]
    assert len(statements(query.text(built_graph.backend))) == 3
    first = built_graph.run_cypher("MATCH (a:Article) RETURN a.pmid AS pmid ORDER BY pmid LIMIT 2")
    assert run_query(built_graph, query, {}) == first
    assert run_query(built_graph, query, {"limit": 0}) == [{"pmid": "not reached"}]  # the first two have none
    assert statements("RETURN 1 AS x") == ["RETURN 1 AS x"]
