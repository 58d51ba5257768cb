"""``litgraph.store.aggregates.of_mentions``: the aggregates of a set of articles computed without a store (what
the ``neo4j-import`` export writes), counted in slices like a bulk load's."""

from __future__ import annotations

from litgraph.store import aggregates

ASPIRIN, PAIN, PTGS2 = ("Chemical", "MESH:D001241"), ("Disease", "MESH:D010146"), ("Gene", "NCBIGene:5743")


def _pairs(frame) -> dict:
    return {((la, s), (lb, o)): int(d) for la, s, lb, o, d in frame[["la", "s", "lb", "o", "d"]].itertuples(index=False)}


def test_counts_pairs_in_type_order_and_articles_per_entity():
    pairs, articles = aggregates.of_mentions({"1": {PTGS2, PAIN, ASPIRIN}, "2": {PAIN, ASPIRIN}, "3": {PTGS2}, "4": set()})
    # one edge per pair, from the first entity in records.pair_key order (Chemical before Disease before Gene)
    assert _pairs(pairs) == {(ASPIRIN, PAIN): 2, (ASPIRIN, PTGS2): 1, (PAIN, PTGS2): 1}
    assert articles == {ASPIRIN: 2, PAIN: 2, PTGS2: 2}


def test_slices_add_up_to_one_count(monkeypatch):
    mentioned = {str(i): {ASPIRIN, PAIN} | ({PTGS2} if i % 3 == 0 else set()) for i in range(10)}
    whole = _pairs(aggregates.of_mentions(mentioned)[0])
    monkeypatch.setattr(aggregates, "_ARTICLES", 3)  # four slices of articles
    assert _pairs(aggregates.of_mentions(mentioned)[0]) == whole == {(ASPIRIN, PAIN): 10, (ASPIRIN, PTGS2): 4, (PAIN, PTGS2): 4}


def test_no_articles_no_pairs():
    pairs, articles = aggregates.of_mentions({})
    assert len(pairs) == 0 and list(pairs.columns) == ["la", "s", "lb", "o", "d"] and articles == {}
