"""Accuracy of normalisation on gold mentions (predicted ids against the corpus ids), and name lookup: what
``litgraph eval normalise`` and ``litgraph normalise lookup`` report."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import replace

from litgraph.normalise.index import TYPES
from litgraph.records import Document

MESH = "MESH:"


def retired_ids(normaliser, docs: Iterable[Document]) -> dict[str, str]:
    """Gold MeSH ids that the index does not hold, each mapped to the MeSH concept that now carries its name.

    The corpora were annotated with an older MeSH: a supplementary concept that later became a
    descriptor (cilostazol ``MESH:C045645`` -> ``MESH:D000077407``) is gone from the current
    vocabulary, and a prediction of its descriptor is right. An unknown gold MeSH id is mapped when the
    longest text of its gold mentions is the name or a synonym (case aside) of exactly one MeSH concept
    of the mention's type; otherwise it stays as written. Other sources are never mapped: a mouse gene
    missing from the human gene table is not its human orthologue.
    """
    texts: dict[str, tuple[str, str]] = {}
    for doc in docs:
        for m in doc.mentions:
            for curie in m.ids:
                if len(m.text) > len(texts.get(curie, ("", ""))[1]):
                    texts[curie] = (m.type, m.text)
    mapping = {}
    for curie, (etype, text) in sorted(texts.items()):
        if not curie.startswith(MESH) or etype not in TYPES or normaliser.concept(curie) is not None:
            continue
        literal = text.lower()
        named = [c.id for c in normaliser.resolve(text, [etype]) if c.id.startswith(MESH) and c.id != curie
                 and (c.name.lower() == literal or literal in (s.lower() for s in c.synonyms))]
        if len(named) == 1:
            mapping[curie] = named[0]
    return mapping


def evaluate(normaliser, docs: Iterable[Document], types: Sequence[str] = TYPES, errors: list | None = None,
             strict_ids: bool = False) -> dict:
    """``{"accuracy", "precision", "per_type": {type: {"accuracy", "precision", "correct", "answered", "mentions"}},
    "mentions", "retired_ids"}``.

    Gold mentions without ids (``-1``/``-``) are skipped; a mention with several ids (composite)
    is right only when the predicted set equals the gold set. ``accuracy`` counts a mention left without an
    id as a miss, ``precision`` is the share of right ids among the mentions that got one (what a wrong
    entity in the graph costs). Gold ids retired from the vocabulary count as their current concept
    (``retired_ids``) unless ``strict_ids``. ``errors`` collects the misses.
    """
    docs = list(docs)
    retired = {} if strict_ids else retired_ids(normaliser, docs)
    correct = {t: 0 for t in types}
    answered = {t: 0 for t in types}
    total = {t: 0 for t in types}
    for doc in docs:
        work = copy.copy(doc)
        work.mentions = [replace(m, ids=[], id_score=None, composite=[]) for m in doc.mentions]
        normaliser.normalise(work)
        for gold, predicted in zip(doc.mentions, work.mentions):
            if gold.type not in total or not gold.ids:
                continue
            total[gold.type] += 1
            answered[gold.type] += bool(predicted.ids)
            if set(predicted.ids) == {retired.get(i, i) for i in gold.ids}:
                correct[gold.type] += 1
            elif errors is not None:
                errors.append((doc.pmid, gold.type, gold.text, gold.ids, predicted.ids, predicted.id_score))
    mentions, with_id = sum(total.values()), sum(answered.values())
    return {
        "accuracy": sum(correct.values()) / mentions if mentions else 0.0,
        "precision": sum(correct.values()) / with_id if with_id else 0.0,
        "per_type": {
            t: {"accuracy": correct[t] / total[t], "precision": correct[t] / answered[t] if answered[t] else 0.0,
                "correct": correct[t], "answered": answered[t], "mentions": total[t]} for t in types if total[t]
        },
        "mentions": mentions,
        "retired_ids": retired,
    }


def evaluate_corpus(settings, corpus: str, exclude: set[str] = frozenset(), normaliser=None, strict_ids: bool = False) -> dict:
    """``evaluate`` on a corpus by name or file: its gold mentions (each PMID once, ``exclude`` left out),
    scored on the entity types the corpus annotates (``litgraph eval normalise``)."""
    from litgraph.fetch.corpora import read_documents, resolve
    from litgraph.normalise.normaliser import Normaliser

    ref = resolve(corpus, settings)
    seen: set[str] = set()
    docs = []
    for doc in read_documents(ref):
        if doc.pmid not in exclude and doc.pmid not in seen:
            seen.add(doc.pmid)
            docs.append(doc)
    types = TYPES if ref.spec is None else tuple(t for t in TYPES if t in ref.spec.annotates)
    return evaluate(normaliser or Normaliser.load(settings), docs, types, strict_ids=strict_ids)


def lookup(normaliser, name: str, types: Sequence[str] = (), context: str | None = None, limit: int = 5) -> dict:
    """``{"query", "concepts": [...], "mention"?}``: the concepts a name or CURIE resolves to, best first; with
    one type, also the mention pipeline's answer (``ids``, ``score``, ``composite``, ``step``)."""
    from dataclasses import asdict

    from litgraph.normalise.abbreviations import abbreviation_map

    concepts = normaliser.resolve(name, list(types) or None, limit)
    payload = {"query": name, "concepts": [asdict(c) for c in concepts]}
    if len(types) == 1:
        ids, score, parts, step = normaliser.explain(name, types[0], abbreviation_map(context) if context else {})
        payload["mention"] = {"ids": ids, "score": round(score, 4), "composite": parts, "step": step}
    return payload
