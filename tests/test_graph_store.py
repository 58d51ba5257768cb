"""The graph store on a real embedded LadybugDB database built from corpus gold annotations."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from litgraph.errors import InputError
from litgraph.records import Concept, Mention
from litgraph.store import content_hash, edge_for, open_store, text_hash
from litgraph.store.schema import EDGE_TYPES, ENTITY_LABELS
from tests.fixtures.graph import check_revisions_match_a_fresh_load, check_update_articles


def _types(doc):
    return {i: m.type for m in doc.mentions for i in m.ids}


def _cid_pairs(docs):
    """(chemical, disease) -> PMIDs, straight from BC5CDR CID lines and BioRED chemical–disease positive correlations."""
    pairs = defaultdict(set)
    for doc in docs:
        types = _types(doc)
        for rel in doc.relations:
            s, o = rel.subject, rel.object
            if rel.type == "CID" or (rel.type == "Positive_Correlation" and {types.get(s), types.get(o)} == {"Chemical", "Disease"}):
                if types.get(s) == "Disease":
                    s, o = o, s
                if types.get(s) == "Chemical" and types.get(o) == "Disease":
                    pairs[(s, o)].add(doc.pmid)
    return pairs


def _edge(store, edge, s, o):
    rows = store.run_cypher(
        f"MATCH (a {{id: $s}})-[r:{edge}]->(b {{id: $o}}) RETURN r.evidence_count AS n, r.pmids AS pmids, "
        "r.first_year AS first_year, r.last_year AS last_year, r.score AS score",
        {"s": s, "o": o},
    )
    return rows[0] if rows else None


def _dump(store):
    from litgraph.export import to_networkx

    graph = to_networkx(store)
    return sorted((n, sorted(a.items(), key=str)) for n, a in graph.nodes(data=True)), sorted(
        (u, v, k, sorted(a.items(), key=str)) for u, v, k, a in graph.edges(keys=True, data=True))


def test_edge_mapping_keeps_direction_meaningful():
    assert edge_for("CID", ("Chemical", "MESH:D1"), ("Disease", "MESH:D2")).type == "INDUCES"
    treats = edge_for("Negative_Correlation", ("Disease", "MESH:D2"), ("Chemical", "MESH:D1"))
    assert (treats.type, treats.subject, treats.object) == ("TREATS", "MESH:D1", "MESH:D2")
    assoc = edge_for("Association", ("Gene", "NCBIGene:1"), ("Chemical", "MESH:D1"))
    assert (assoc.type, assoc.subject_label, assoc.object_label) == ("ASSOCIATED_WITH", "Chemical", "Gene")
    assert edge_for("Positive_Correlation", ("Gene", "NCBIGene:1"), ("Disease", "MESH:D2")).type == "POSITIVELY_CORRELATED_WITH"
    conv = edge_for("Conversion", ("Chemical", "MESH:D9"), ("Chemical", "MESH:D1"))
    assert (conv.subject, conv.object) == ("MESH:D9", "MESH:D1")
    assert {edge_for(t, ("Chemical", "a:1"), ("Chemical", "a:2")).type for t in ("Bind", "Cotreatment", "Comparison", "Drug_Interaction")} <= set(EDGE_TYPES)
    with pytest.raises(InputError, match="unknown relation type 'Causes'"):
        edge_for("Causes", ("Chemical", "a:1"), ("Disease", "a:2"), doc_id="123")


def test_graph_matches_gold_input(built_graph, graph_docs):
    stats = built_graph.stats()
    assert stats["articles"] == len(graph_docs)
    curies = defaultdict(set)
    for doc in graph_docs:
        for m in doc.mentions:
            for i in m.ids:
                curies[m.type].add(i)
    for label in ("Chemical", "Disease", "Gene"):
        assert stats["nodes"][label] >= len(curies[label]) > 0
    mentions = {(d.pmid, i) for d in graph_docs for m in d.mentions for i in m.ids}
    assert stats["edges"]["MENTIONS"] == len(mentions)
    pairs = _cid_pairs(graph_docs)
    assert stats["edges"]["INDUCES"] == len(pairs)
    for (s, o), pmids in list(pairs.items())[:25]:
        edge = _edge(built_graph, "INDUCES", s, o)
        assert edge["n"] == len(pmids) and set(edge["pmids"]) == pmids and edge["score"] == 1.0
    assert stats["models"] == []  # gold annotations carry no model
    assert {"TREATS", "ASSOCIATED_WITH", "POSITIVELY_CORRELATED_WITH"} <= set(stats["edges"])


def test_loading_twice_changes_nothing(store, docs):
    first = store.upsert_documents(docs[:40])
    before = _dump(store)
    again = store.upsert_documents(docs[:40])
    assert _dump(store) == before
    assert first == again


def test_delete_updates_aggregates_and_removes_empty_edges(store, docs):
    store.upsert_documents(docs)
    pairs = _cid_pairs(docs)
    (s, o), pmids = next((k, v) for k, v in pairs.items() if len(v) >= 2)
    gone, kept = sorted(pmids)[0], sorted(pmids)[1:]
    assert store.delete_articles([gone, "0"]) == 1
    edge = _edge(store, "INDUCES", s, o)
    assert edge["n"] == len(kept) and set(edge["pmids"]) == set(kept)
    assert gone not in store.article_state([gone])
    assert not store.run_cypher("MATCH (e:Evidence {pmid: $p}) RETURN e.id", {"p": gone})
    store.delete_articles(kept)
    assert _edge(store, "INDUCES", s, o) is None
    assert store.stats()["articles"] == len(docs) - len(pmids)
    # entities no article mentions any more leave with their node
    assert not store.run_cypher("MATCH (e:Chemical) WHERE NOT EXISTS { MATCH (e)<-[:MENTIONS]-() } "
                                "AND NOT EXISTS { MATCH (e)<-[:SUBJECT]-() } AND NOT EXISTS { MATCH (e)<-[:OBJECT]-() } RETURN e.id")


def test_revision_replaces_evidence_and_hash(store, docs):
    doc = next(d for d in docs if any(r.type == "CID" for r in d.relations))
    store.upsert_documents([doc])
    rel = next(r for r in doc.relations if r.type == "CID")
    assert _edge(store, "INDUCES", rel.subject, rel.object)["n"] == 1
    old = store.article_state([doc.pmid])[doc.pmid]
    assert old == {"hash": content_hash(doc), "text_hash": text_hash(doc), "year": doc.year, "version": 1, "models": []}
    doc.version, doc.revised, doc.relations = 2, "2024-05-01", [r for r in doc.relations if r is not rel]
    for m in doc.mentions:
        m.model, m.score = "ner-test@1", 0.9
    store.upsert_documents([doc])
    assert _edge(store, "INDUCES", rel.subject, rel.object) is None
    new = store.article_state([doc.pmid])[doc.pmid]
    assert new["hash"] != old["hash"] and new["version"] == 2 and new["models"] == ["ner-test@1"]
    assert store.stats()["models"] == ["ner-test@1"]


def test_revised_mention_rows_end_as_a_fresh_load(store, docs, tmp_path):
    """... node for node and edge for edge, aggregates included."""
    with check_revisions_match_a_fresh_load(store, docs, tmp_path / "fresh") as fresh:
        assert _dump(store) == _dump(fresh)


def test_update_articles_keeps_mentions_evidence_and_models(store, docs):
    check_update_articles(store, docs)


def test_a_graph_built_before_text_hash_gains_the_column(settings):
    import ladybug

    from litgraph.store.backends.ladybug import DB_FILE

    folder = Path(settings.graph)
    folder.mkdir(parents=True)
    db = ladybug.Database(str(folder / DB_FILE))
    conn = ladybug.Connection(db)
    conn.execute("CREATE NODE TABLE Article(pmid STRING, hash STRING, version INT64, PRIMARY KEY (pmid))")
    conn.execute("CREATE (:Article {pmid: '1', hash: 'h', version: 1})")
    conn.close()
    db.close()
    with open_store(settings) as store:
        assert store.article_state(["1"])["1"]["text_hash"] is None  # unknown: the next revision is extracted again


def test_a_graph_with_listed_mention_texts_is_converted_once(store, docs, settings):
    """Graphs written before the texts were joined (``MENTIONS.texts`` STRING[]) read the same, read-only as they
    are and for writing after the one conversion, which keeps the column order that COPY relies on."""
    import ladybug

    from litgraph.store.backends.ladybug import DB_FILE, TEXT_SEP, LadybugStore

    store.upsert_documents(docs)
    expected = _dump(store)
    texts_of = {(r["from"], r["to"]): r["texts"] for r in store.iter_edges("MENTIONS")}
    assert any(len(t) > 1 for t in texts_of.values())
    named = {n.lower() for label in ENTITY_LABELS for node in store.iter_nodes(label) for n in [node["name"] or "", *(node["synonyms"] or [])]}
    (_, entity), text = next((k, t) for k, ts in sorted(texts_of.items()) for t in ts if t.lower() not in named)
    store.close()
    db = ladybug.Database(str(Path(settings.graph) / DB_FILE))
    conn = ladybug.Connection(db)  # back to the earlier layout: count, texts STRING[], score
    for statement in ("ALTER TABLE MENTIONS ADD texts_list STRING[]", "ALTER TABLE MENTIONS ADD score_old DOUBLE",
                      f"MATCH ()-[m:MENTIONS]->() SET m.texts_list = string_split(m.texts, '{TEXT_SEP}'), m.score_old = m.score",
                      "ALTER TABLE MENTIONS DROP texts", "ALTER TABLE MENTIONS DROP score",
                      "ALTER TABLE MENTIONS RENAME texts_list TO texts", "ALTER TABLE MENTIONS RENAME score_old TO score"):
        conn.execute(statement)
    assert [r[1:3] for r in conn.execute("CALL table_info('MENTIONS') RETURN *").get_all()] == [
        ["count", "INT64"], ["texts", "STRING[]"], ["score", "DOUBLE"]]
    conn.close()
    db.close()
    with LadybugStore(settings.graph, read_only=True) as old:
        assert _dump(old) == expected
    with open_store(settings) as converted:
        kinds = [(r["name"], r["type"]) for r in converted.run_cypher("CALL table_info('MENTIONS') RETURN name, type")]
        assert kinds == [("count", "INT64"), ("texts", "STRING"), ("score", "DOUBLE")]
        assert _dump(converted) == expected
        assert entity in converted.find_entities(text.upper(), ENTITY_LABELS)  # by a mention text, case-insensitively
        converted.upsert_documents(docs[:3])  # writes go on in the converted layout
        assert _dump(converted) == expected


def test_mention_texts_round_trip_with_the_separator_inside(store, docs):
    from litgraph.store.backends.ladybug import TEXT_SEP

    doc = docs[0]
    mention = next(m for m in doc.mentions if m.ids)
    mention.text = f"odd{TEXT_SEP}text"
    store.upsert_documents([doc])
    stored = [r["texts"] for r in store.iter_edges("MENTIONS") if r["from"] == doc.pmid and r["to"] == mention.ids[0]]
    assert stored and "odd text" in stored[0] and not any(TEXT_SEP in t for t in stored[0])


def test_content_hash_covers_input_annotations_but_not_model_output(docs):
    doc = docs[0]
    before = content_hash(doc)
    doc.mentions[0].ids = ["MESH:D000001"]  # a corrected annotation is new content
    assert content_hash(doc) != before
    doc.mentions, doc.relations = [], []
    bare = content_hash(doc)
    doc.mentions = [Mention(doc.pmid, 0, 3, doc.text[:3], "Chemical", ["MESH:D1"], model="ner:abc")]
    assert content_hash(doc) == bare  # model output is tracked by its model version, not the hash
    doc.retracted = True
    assert content_hash(doc) != bare
    doc.abstract = ""
    assert content_hash(doc).startswith("title-only:")


def test_evidence_years_and_sentences(store, docs):
    pairs = _cid_pairs(docs)
    (s, o), pmids = next((k, v) for k, v in pairs.items() if len(v) >= 2)
    years = {pmid: 2000 + i for i, pmid in enumerate(sorted(pmids))}
    for doc in docs:
        doc.year = years.get(doc.pmid, 1990)
    store.upsert_documents(docs)
    edge = _edge(store, "INDUCES", s, o)
    assert (edge["first_year"], edge["last_year"]) == (min(years.values()), max(years.values()))
    assert edge["pmids"] == sorted(pmids, key=years.get, reverse=True)
    rows = store.run_cypher("MATCH (e:Evidence) WHERE e.subject = $s AND e.object = $o RETURN e.sentence AS sentence, e.pmid AS pmid",
                            {"s": s, "o": o})
    by_pmid = {d.pmid: d for d in docs}
    for row in rows:
        assert row["sentence"] and row["sentence"] in by_pmid[row["pmid"]].text


def test_concepts_name_entities(store, docs):
    doc = docs[0]
    curie = next(i for m in doc.mentions if m.type == "Chemical" for i in m.ids)

    def concept(cid):
        if cid == curie:
            return Concept(cid, "Chemical", "Preferred Name", ["syn one"], ["CHEBI:1"])
        return None

    store.upsert_documents([doc], concept)
    row = store.run_cypher("MATCH (e:Chemical {id: $i}) RETURN e.name AS name, e.synonyms AS s, e.xrefs AS x", {"i": curie})[0]
    assert row == {"name": "Preferred Name", "s": ["syn one"], "x": ["CHEBI:1"]}
    other = next(m for m in doc.mentions if m.ids and m.ids[0] != curie)
    name = store.run_cypher("MATCH (e {id: $i}) RETURN e.name AS name", {"i": other.ids[0]})[0]["name"]
    assert name in {m.text for m in doc.mentions if other.ids[0] in m.ids}


def test_bad_mention_type_names_the_record(store, docs):
    doc = docs[0]
    doc.mentions.append(Mention(doc.pmid, 0, 3, "abc", "Protein", ["X:1"]))
    with pytest.raises(InputError, match=f"record {doc.pmid}.*Protein"):
        store.upsert_documents([doc])


def test_meta_ledger(store):
    assert store.get_meta("source:1") is None
    store.set_meta("source:1", "pubmed26n1334.xml.gz")
    store.set_meta("source:1", "pubmed26n1335.xml.gz")
    assert store.get_meta("source:1") == "pubmed26n1335.xml.gz"


def test_bulk_load_parquet_round_trip(built_graph, tmp_path):
    from litgraph.store.backends.ladybug import LadybugStore
    from litgraph.export import export

    export(built_graph, "parquet", tmp_path / "tables")
    with LadybugStore(tmp_path / "copy") as copy:
        loaded = copy.bulk_load_parquet(tmp_path / "tables")
        assert loaded["Article"] == built_graph.stats()["articles"]
        assert copy.stats() == built_graph.stats()
        assert _dump(copy) == _dump(built_graph)
        with pytest.raises(InputError, match="empty graph"):
            copy.bulk_load_parquet(tmp_path / "tables")


def test_bulk_load_of_a_layout_written_before_text_hash(built_graph, tmp_path):
    import pyarrow.parquet as pq

    from litgraph.export import export
    from litgraph.store.backends.ladybug import LadybugStore

    export(built_graph, "parquet", tmp_path / "tables")
    articles = tmp_path / "tables" / "nodes" / "Article.parquet"
    pq.write_table(pq.read_table(articles).drop_columns(["text_hash"]), articles)
    with LadybugStore(tmp_path / "copy") as copy:
        copy.bulk_load_parquet(tmp_path / "tables")
        assert copy.stats() == built_graph.stats()
        assert {r["text_hash"] for r in copy.iter_nodes("Article")} == {None}
    pq.write_table(pq.read_table(articles).drop_columns(["title"]), articles)  # not a column added later: refused
    with LadybugStore(tmp_path / "other") as other, pytest.raises(InputError, match="differ"):
        other.bulk_load_parquet(tmp_path / "tables")


def test_open_store_rejects_a_file(settings, tmp_path):
    from litgraph.store import open_store

    path = tmp_path / "file.txt"
    path.write_text("x")
    with pytest.raises(InputError, match="must be a folder"):
        open_store(settings.with_(graph=str(path)))


def test_a_locked_graph_is_a_clear_error(store, settings):
    import subprocess
    import sys

    code = ("import sys; from litgraph.store import open_store; from litgraph.settings import Settings; "
            "from litgraph.errors import LitgraphError\n"
            "try:\n    open_store(Settings.from_env(graph=sys.argv[1]))\n"
            "except LitgraphError as err:\n    print(err)\n")
    result = subprocess.run([sys.executable, "-c", code, settings.graph], capture_output=True, text=True, timeout=120)
    assert "open in another process" in result.stdout, result.stderr[-500:]


def test_a_failed_upsert_leaves_nothing_half_written(store, docs, monkeypatch):
    store.upsert_documents(docs[:3])
    before = _dump(store)

    def crash(*args, **kwargs):
        raise RuntimeError("crash while writing the aggregated edges")

    # fault injection: the articles, mentions and evidence of docs[3:6] are written (COPY) before this point
    monkeypatch.setattr(store, "_write_edges", crash)
    monkeypatch.setattr(store, "_create_edges", crash)
    with pytest.raises(RuntimeError, match="crash while writing"):
        store.upsert_documents(docs[3:6])
    monkeypatch.undo()
    assert _dump(store) == before


def test_buffer_pool_setting_is_checked(settings, tmp_path, monkeypatch):
    from litgraph.settings import Settings
    from litgraph.store import open_store

    for bad in ("lots", "63", "-5", "1.5"):
        monkeypatch.setenv("LITGRAPH_BUFFER_POOL_MB", bad)
        with pytest.raises(InputError, match="LITGRAPH_BUFFER_POOL_MB"):
            Settings.from_env(graph=str(tmp_path / "g"))
    with pytest.raises(InputError, match="buffer_pool_mb"):
        settings.with_(buffer_pool_mb=10)
    monkeypatch.setenv("LITGRAPH_BUFFER_POOL_MB", "128")
    small_settings = Settings.from_env(graph=str(tmp_path / "g"))
    assert small_settings.buffer_pool_mb == 128
    with open_store(small_settings) as small:
        assert small.buffer_pool_mb == 128 and small.stats()["articles"] == 0


def test_a_full_page_cache_is_a_clear_error(settings, docs, tmp_path, monkeypatch):
    from litgraph.errors import LitgraphError
    from litgraph.store import open_store

    tiny = open_store(settings.with_(graph=str(tmp_path / "g"), buffer_pool_mb=64))
    # a batch that does not fit is checkpointed and split into halves (each its own transaction); what does
    # not fit even alone is a clear error
    with pytest.raises(LitgraphError, match="raise LITGRAPH_BUFFER_POOL_MB"):
        for _ in range(40):
            tiny.upsert_documents(docs * 20)
    try:
        tiny.close()
    except LitgraphError:
        pass
    with open_store(settings.with_(graph=str(tmp_path / "g"))) as store:
        assert store.stats()["articles"] <= len({d.pmid for d in docs})  # whole transactions only
        store.upsert_documents(docs)  # loading again completes the graph
        assert store.stats()["articles"] == len({d.pmid for d in docs})


def test_the_default_page_cache_grows_rather_than_fail_a_write(settings, docs, tmp_path, monkeypatch):
    """Unset, the cache is litgraph's default; a write that overfills it runs again with twice the cache
    (the set 64 MiB cap above fails the same load). Rewriting the same articles again and again needs no more
    than that: while LadybugDB's Python connection kept every Arrow-table statement, each round of rewrites
    doubled the cache again (64 -> 512 MiB by the fourth) and RSS grew with every batch written."""
    from litgraph.settings import default_buffer_pool_mb, ladybug_buffer_pool_mb
    from litgraph.store import open_store
    from litgraph.store.backends import ladybug as backend

    assert settings.buffer_pool_mb is None
    assert 256 <= default_buffer_pool_mb() <= 4096 and default_buffer_pool_mb() <= ladybug_buffer_pool_mb()
    with open_store(settings.with_(graph=str(tmp_path / "d"))) as store:
        assert store.default_cache and store.buffer_pool_mb == default_buffer_pool_mb()
    monkeypatch.setattr(backend, "default_buffer_pool_mb", lambda: 64)
    with open_store(settings.with_(graph=str(tmp_path / "g"))) as store:
        assert store.buffer_pool_mb == 64
        for _ in range(6):
            store.upsert_documents(docs * 20)
        assert 64 < store.buffer_pool_mb <= 256 and store.stats()["articles"] == len({d.pmid for d in docs})


def test_loading_in_batches_equals_loading_at_once(built_graph, graph_docs, settings, tmp_path):
    """New edges are appended, edges that other articles already support are merged: the split must not
    change the graph (batches share entities and edges, e.g. the BC5CDR CID pairs many abstracts state)."""
    from litgraph.store import open_store

    with open_store(settings) as store:
        for i in range(0, len(graph_docs), 17):
            store.upsert_documents(graph_docs[i:i + 17])
        assert _dump(store) == _dump(built_graph)
        counts = store.upsert_documents(graph_docs[:17])  # again: every edge exists, all merged
        assert _dump(store) == _dump(built_graph) and counts["edges"] > 0
