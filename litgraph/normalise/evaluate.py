"""Accuracy of normalisation on gold mentions: predicted ids against the corpus ids."""

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

