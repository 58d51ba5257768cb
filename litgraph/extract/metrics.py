"""Evaluation metrics: strict span+type NER scores with a confusion matrix, document-level relation scores.

Only the entity and relation types a corpus annotates are scored: a Gene predicted in BC5CDR is
neither a true nor a false positive.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable

from litgraph.records import Document, Mention, Relation


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """Precision, recall and F1 (fractions) with the counts they come from."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


class NerScorer:
    """Accumulates strict span+type matches over documents.

    The confusion matrix maps each gold type to what the prediction at that span was: the predicted
    type on an exact span, ``boundary`` (an overlapping span of the same type), ``boundary+type``
    (overlapping, other type) or ``missed``; row ``none`` counts predictions overlapping no gold mention.
    """

    def __init__(self, types: Iterable[str]):
        self.types = tuple(types)
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.confusion: dict[str, Counter] = defaultdict(Counter)
        self.documents = 0

    def add(self, gold: list[Mention], predicted: list[Mention]) -> None:
        self.documents += 1
        g = {(m.start, m.end, m.type) for m in gold if m.type in self.types}
        p = {(m.start, m.end, m.type) for m in predicted if m.type in self.types}
        for t in self.types:
            gt = {x for x in g if x[2] == t}
            pt = {x for x in p if x[2] == t}
            self.counts[t].update(tp=len(gt & pt), fp=len(pt - gt), fn=len(gt - pt))
        by_span = {(s, e): t for s, e, t in p}
        for s, e, t in g:
            if (s, e) in by_span:
                self.confusion[t][by_span[(s, e)]] += 1
                continue
            overlapping = [pt for ps, pe, pt in p if ps < e and s < pe]
            key = "missed" if not overlapping else "boundary" if t in overlapping else "boundary+type"
            self.confusion[t][key] += 1
        for s, e, t in p:
            if not any(gs < e and s < ge for gs, ge, _ in g):
                self.confusion["none"][t] += 1

    def result(self) -> dict:
        total = Counter()
        for c in self.counts.values():
            total.update(c)
        return {
            "micro": prf(total["tp"], total["fp"], total["fn"]),
            "per_type": {t: prf(c["tp"], c["fp"], c["fn"]) for t, c in sorted(self.counts.items())},
            "confusion": {t: dict(sorted(c.items())) for t, c in sorted(self.confusion.items())},
            "documents": self.documents,
        }


def relation_keys(relations: Iterable[Relation], level: str, types: Iterable[str]) -> set[tuple]:
    """Comparable keys of a document's relations at a level: ``pair``, ``pair+type`` or ``pair+type+novelty``.

    BioRED pairs are unordered; CID keeps chemical → disease.
    """
    wanted = set(types)
    keys = set()
    for r in relations:
        if r.type not in wanted:
            continue
        pair = (r.subject, r.object) if r.type == "CID" else tuple(sorted((r.subject, r.object)))
        if level == "pair":
            keys.add(pair)
        elif level == "pair+type":
            keys.add((pair, r.type))
        else:
            keys.add((pair, r.type, bool(r.novel)))
    return keys


class RelationScorer:
    """Accumulates document-level relation matches; ``micro`` is pair+type (for BC5CDR: CID pairs)."""

    LEVELS = ("pair", "pair+type", "pair+type+novelty")

    def __init__(self, types: Iterable[str], novelty: bool):
        self.types = tuple(types)
        self.levels = self.LEVELS if novelty else ("pair+type",)
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.per_type: dict[str, Counter] = defaultdict(Counter)
        self.documents = 0

    def add(self, gold: list[Relation], predicted: list[Relation]) -> None:
        self.documents += 1
        for level in self.levels:
            g, p = relation_keys(gold, level, self.types), relation_keys(predicted, level, self.types)
            self.counts[level].update(tp=len(g & p), fp=len(p - g), fn=len(g - p))
        g, p = relation_keys(gold, "pair+type", self.types), relation_keys(predicted, "pair+type", self.types)
        for t in self.types:
            gt, pt = {k for k in g if k[1] == t}, {k for k in p if k[1] == t}
            if gt or pt:
                self.per_type[t].update(tp=len(gt & pt), fp=len(pt - gt), fn=len(gt - pt))

    def result(self) -> dict:
        score = {level: prf(c["tp"], c["fp"], c["fn"]) for level, c in self.counts.items()}
        out = {
            "micro": score["pair+type"],
            "per_type": {t: prf(c["tp"], c["fp"], c["fn"]) for t, c in sorted(self.per_type.items())},
            "documents": self.documents,
        }
        if len(self.levels) > 1:
            out["levels"] = score
        return out


def score_ner(gold_docs: list[Document], predicted: list[list[Mention]], types: Iterable[str]) -> dict:
    """NER scores of predicted mentions against the gold documents (same order)."""
    scorer = NerScorer(types)
    for doc, mentions in zip(gold_docs, predicted):
        scorer.add(doc.mentions, mentions)
    return scorer.result()
