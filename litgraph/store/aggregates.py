"""Precomputed aggregates that the named queries read instead of counting at query time.

- ``articles`` on every entity node: how many articles mention it (``top-entities``).
- ``CO_MENTIONED {articles}`` edges: for every two entities mentioned in the same article, how many articles
  mention both (``co-mentions``); one edge per pair, from the first entity in ``records.pair_key`` order.

They are derived data, not part of the CSV/Parquet export or the bulk-load layout (the ``neo4j-import``
export computes them from its mentions with ``of_mentions``). Every write keeps them exact in the same
transaction: ``snapshot`` reads the mentioned entities of the articles about to be replaced or deleted,
``refresh`` applies the difference to what the articles mention afterwards (co-mention counts move by the
pairs gained and lost; ``articles`` is recounted for every entity whose mentions changed). A bulk load, or a
graph built before the aggregates existed (``Meta`` key ``aggregates`` not ``VERSION``), computes them whole
with ``rebuild``.

Each backend provides three primitives: ``_article_entities(pmids) -> {pmid: {(label, id)}}``,
``_add_co_mentions(label_a, label_b, frame, fresh)`` (a DataFrame ``s``, ``o``, ``d``: add ``d`` to the pair's count,
create the edges that are missing, remove those that reach 0; ``fresh``: none exist yet) and
``_recount_articles(label, ids)``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from litgraph.records import pair_key
from litgraph.store.rows import BATCH_ROWS, chunks

if TYPE_CHECKING:
    from litgraph.store.base import GraphStore

#: Version of the aggregates' definition, kept in the ``Meta`` key ``aggregates``.
VERSION = "1"

Entity = tuple[str, str]  # (label, id)

#: Articles whose co-mention pairs are counted at once.
_ARTICLES = 20_000


def snapshot(store: "GraphStore", pmids: list[str]) -> dict[str, set[Entity]]:
    """The entities each of ``pmids`` mentions now (before a write replaces or deletes them)."""
    return store._article_entities(pmids) if pmids else {}


def mentioned(batch) -> dict[str, set[Entity]]:
    """The entities each article of a write batch (``rows.build_batch``) mentions."""
    found: dict[str, set[Entity]] = {a["pmid"]: set() for a in batch.articles}
    for label, rows in batch.mentions.items():
        for row in rows:
            found[row["pmid"]].add((label, row["id"]))
    return found


def _pair_deltas(before: dict[str, set[Entity]], after: dict[str, set[Entity]], pmids: list[str]):
    """Per pair of entities (``la``, ``s``, ``lb``, ``o`` in ``records.pair_key`` order), how many more articles
    of ``pmids`` mention both after than before (``d``, never 0): pairs of the new sets count +1, of the old -1."""
    import pandas as pd

    rows = [(pmid, side, entity) for pmid in pmids
            for side, sets in ((1, after), (-1, before)) for entity in sets.get(pmid, ())]
    if not rows:
        return pd.DataFrame(columns=["la", "s", "lb", "o", "d"])
    frame = pd.DataFrame(rows, columns=["pmid", "side", "entity"])
    entities = sorted(set(frame.entity), key=lambda e: pair_key(*e))
    code = {e: i for i, e in enumerate(entities)}
    frame["code"] = frame.entity.map(code)
    frame = frame[["pmid", "side", "code"]]
    pairs = frame.merge(frame, on=["pmid", "side"])
    pairs = pairs[pairs.code_x < pairs.code_y]
    counts = pairs.groupby(["code_x", "code_y"]).side.sum()
    counts = counts[counts != 0].reset_index()
    first = [entities[i] for i in counts.code_x]
    second = [entities[i] for i in counts.code_y]
    return pd.DataFrame({"la": [e[0] for e in first], "s": [e[1] for e in first], "lb": [e[0] for e in second],
                         "o": [e[1] for e in second], "d": counts.side.to_numpy()})


def pair_deltas(before: dict[str, set[Entity]], after: dict[str, set[Entity]], pmids: list[str]):
    """``_pair_deltas`` over any number of articles, counted in slices so that the pairs of one slice fit in
    memory (a bulk load has them all); with ``before`` empty, ``d`` is the number of articles mentioning both."""
    import pandas as pd

    slices = [_pair_deltas(before, after, pmids[i:i + _ARTICLES]) for i in range(0, len(pmids), _ARTICLES)]
    if len(slices) == 1:
        return slices[0]
    if not slices:
        return pd.DataFrame(columns=["la", "s", "lb", "o", "d"])
    deltas = pd.concat(slices).groupby(["la", "s", "lb", "o"], as_index=False).d.sum()
    return deltas[deltas.d != 0]


def of_mentions(mentioned_by: dict[str, set[Entity]]):
    """The aggregates of a graph whose articles mention ``mentioned_by`` (pmid -> entities), computed without a
    store (for a load that writes them itself, as the ``neo4j-import`` export does): ``(pairs, articles)``, a
    DataFrame ``la``, ``s``, ``lb``, ``o``, ``d`` of the co-mention edges and ``{(label, id): articles}``."""
    articles: dict[Entity, int] = defaultdict(int)
    for entities in mentioned_by.values():
        for entity in entities:
            articles[entity] += 1
    return pair_deltas({}, mentioned_by, sorted(mentioned_by)), dict(articles)


def refresh(store: "GraphStore", before: dict[str, set[Entity]], after: dict[str, set[Entity]], *,
            fresh: bool = False) -> None:
    """Move the aggregates from articles mentioning ``before`` to mentioning ``after`` (pmid -> entities; an
    article missing on one side mentions nothing there). ``fresh``: the graph has no co-mention edges yet."""
    changed: set[Entity] = set()
    pmids = []
    for pmid in before.keys() | after.keys():
        old, new = before.get(pmid, set()), after.get(pmid, set())
        if old != new:
            changed |= old ^ new
            pmids.append(pmid)
    deltas = pair_deltas(before, after, sorted(pmids))
    if len(deltas):
        for (la, lb), group in deltas.groupby(["la", "lb"], sort=True):
            group = group.sort_values(["s", "o"])[["s", "o", "d"]]
            step = len(group) if fresh else BATCH_ROWS  # fresh: one append per label pair
            for i in range(0, len(group), step):
                store._add_co_mentions(la, lb, group.iloc[i:i + step], fresh)
    by_label: dict[str, list[str]] = defaultdict(list)
    for label, curie in changed:
        by_label[label].append(curie)
    for label, ids in sorted(by_label.items()):
        for part in chunks(sorted(ids)):
            store._recount_articles(label, part)


def rebuild(store: "GraphStore") -> None:
    """Compute the aggregates of the whole graph from its mentions (after a bulk load, or for a graph built
    before they existed) and record their version in the ledger."""
    if store.run_cypher("MATCH ()-[c:CO_MENTIONED]->() RETURN count(c) AS n")[0]["n"]:
        store.run_cypher("MATCH ()-[c:CO_MENTIONED]->() DELETE c")
    pmids = sorted(row["pmid"] for row in store.run_cypher("MATCH (a:Article) RETURN a.pmid AS pmid"))
    refresh(store, {}, store._article_entities(pmids), fresh=True)
    store.set_meta("aggregates", VERSION)


def ensure(store: "GraphStore") -> None:
    """Rebuild the aggregates of a graph whose ledger says they are missing or of another version."""
    if store.get_meta("aggregates") == VERSION:
        return
    if store.run_cypher("MATCH (a:Article) RETURN count(a) AS n")[0]["n"]:
        rebuild(store)
    else:
        store.set_meta("aggregates", VERSION)
