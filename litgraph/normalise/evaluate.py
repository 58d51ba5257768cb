"""Accuracy of normalisation on gold mentions (predicted ids against the corpus ids), and name lookup: what
``litgraph eval normalise`` and ``litgraph normalise lookup`` report."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import replace

from litgraph.normalise.index import TYPES
from litgraph.records import Document


def evaluate(normaliser, docs: Iterable[Document], types: Sequence[str] = TYPES, errors: list | None = None) -> dict:
    """``{"accuracy", "per_type": {type: {"accuracy", "correct", "mentions"}}, "mentions"}``.

    Gold mentions without ids (``-1``/``-``) are skipped; a mention with several ids (composite)
    is right only when the predicted set equals the gold set. ``errors`` collects the misses.
    """
    correct = {t: 0 for t in types}
    total = {t: 0 for t in types}
    for doc in docs:
        work = copy.copy(doc)
        work.mentions = [replace(m, ids=[], id_score=None, composite=[]) for m in doc.mentions]
        normaliser.normalise(work)
        for gold, predicted in zip(doc.mentions, work.mentions):
            if gold.type not in total or not gold.ids:
                continue
            total[gold.type] += 1
            if set(predicted.ids) == set(gold.ids):
                correct[gold.type] += 1
            elif errors is not None:
                errors.append((doc.pmid, gold.type, gold.text, gold.ids, predicted.ids, predicted.id_score))
    mentions = sum(total.values())
    return {
        "accuracy": sum(correct.values()) / mentions if mentions else 0.0,
        "per_type": {
            t: {"accuracy": correct[t] / total[t], "correct": correct[t], "mentions": total[t]} for t in types if total[t]
        },
        "mentions": mentions,
    }



def evaluate_corpus(settings, corpus: str, exclude: set[str] = frozenset(), normaliser=None) -> dict:
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
    return evaluate(normaliser or Normaliser.load(settings), docs, types)


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
