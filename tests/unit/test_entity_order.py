"""One entity type order: the relation model's pairs, the normaliser and the graph agree on it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from litgraph.records import ENTITY_TYPES, Document, Mention, Relation, pair_key
from litgraph.settings import Settings
from litgraph.store.schema import EDGE_TYPES, ENTITY_LABELS, edge_for

SHIPPED_RE = Path(__file__).resolve().parents[2] / "litgraph" / "extract" / "shipped" / "re" / "litgraph.json"


def test_one_order_everywhere():
    from litgraph.normalise.index import TYPES

    assert ENTITY_LABELS == ENTITY_TYPES
    assert TYPES == tuple(t for t in ENTITY_TYPES if t in TYPES)  # the normalised types, in the same order


def _shipped_groups() -> dict:
    return json.loads(SHIPPED_RE.read_text(encoding="utf-8"))["groups"]


def _document() -> tuple[Document, dict[str, str]]:
    """A document with two entities of every type (ids chosen so that CURIE order is not type order)."""
    words, mentions, ids = [], [], {}
    offset = 0
    for etype in ENTITY_TYPES:
        for n in (2, 1):
            curie = f"TEST:{etype}{n}"
            text = f"{etype.lower()}{n}"
            mentions.append(Mention("1", offset, offset + len(text), text, etype, [curie]))
            ids[curie] = etype
            words.append(text)
            offset += len(text) + 1
    title = " ".join(words)
    return Document("1", title=title, abstract="", mentions=[]), {"mentions": mentions, "ids": ids}


def test_extract_pairs_and_graph_edges_point_the_same_way(tmp_path):
    pytest.importorskip("torch")
    from litgraph.extract.relations import Entity, Prepared, RelationExtractor
    from litgraph.store import open_store

    doc, parts = _document()
    doc.mentions = parts["mentions"]
    entities = {m.ids[0]: Entity(m.ids[0], m.type, [i], [m]) for i, m in enumerate(doc.mentions)}
    prepared = Prepared(doc, [], entities)
    extractor = RelationExtractor.__new__(RelationExtractor)  # candidates need no weights
    relations = []
    for group in _shipped_groups().values():
        pairs = extractor.candidates(prepared, group)
        assert pairs, group
        for a, b in pairs:
            assert pair_key(a.type, a.id) < pair_key(b.type, b.id)  # the model's subject comes first
            for rtype in group["types"]:
                key = edge_for(rtype, (a.type, a.id), (b.type, b.id))
                assert (key.subject, key.object) == (a.id, b.id), (rtype, a.type, b.type)
                relations.append(Relation("1", rtype, a.id, b.id, 0.9, 0, len(doc.title), "test-re"))
    doc.relations = relations
    types = {r.type for r in relations}
    assert types >= {"CID", "Association", "Positive_Correlation", "Negative_Correlation", "Bind", "Conversion"}

    with open_store(Settings.from_env(graph=str(tmp_path / "graph"))) as store:
        store.upsert_documents([doc])
        stored = set()
        for edge in EDGE_TYPES:
            for row in store.iter_edges(edge):
                stored.add((row["from"], row["to"]))
    expected = {(r.subject, r.object) for r in relations}
    assert stored == expected  # every relation became an edge from its extract subject to its extract object


@pytest.mark.parametrize("first,second", list(itertools.combinations(ENTITY_TYPES, 2)))
def test_undirected_relations_follow_the_record_order(first, second):
    for rtype in ("Association", "Positive_Correlation", "Bind"):
        key = edge_for(rtype, (second, "X:2"), (first, "X:1"))
        assert (key.subject_label, key.object_label) == (first, second)
    assert edge_for("Association", ("Gene", "NCBIGene:1"), ("Disease", "MESH:D1")).subject_label == "Disease"
