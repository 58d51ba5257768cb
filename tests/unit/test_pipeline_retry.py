"""Both engines isolate a record that breaks extraction with one helper, in the batch size they are given."""

from __future__ import annotations

import logging

from litgraph.pipeline.loader import annotate_isolating
from litgraph.pipeline.ray_engine import _annotate
from litgraph.records import Document


class PickyAnnotator:
    """Annotates a document by marking it; refuses any batch that holds PMID 13 (as a model that breaks on one record)."""

    model_versions = {"ner": "picky", "re": "picky"}

    def __init__(self):
        self.batches: list[int] = []

    def annotate(self, docs, batch_size=16):
        docs = list(docs)
        for start in range(0, len(docs), batch_size):
            batch = docs[start:start + batch_size]
            self.batches.append(len(batch))
            if any(d.pmid == "13" for d in batch):
                raise ValueError("cannot read PMID 13")
            for doc in batch:
                doc.source = "annotated"
                yield doc


def _docs(n=20):
    return [Document(str(i), title=f"title {i}") for i in range(1, n + 1)]


def test_a_bad_record_is_isolated_and_named(caplog):
    failed = []
    with caplog.at_level(logging.INFO, logger="litgraph.pipeline.loader"):
        done = annotate_isolating(PickyAnnotator(), _docs(), 8, lambda doc, reason: failed.append((doc.pmid, reason)))
    assert [d.pmid for d in done] == [str(i) for i in range(1, 21) if i != 13]
    assert failed == [("13", "ValueError: cannot read PMID 13")]
    assert "cannot read PMID 13" in caplog.text  # the batch error is logged, not swallowed


def test_the_ray_engine_uses_the_helper_and_its_batch_size():
    annotator, failures = PickyAnnotator(), []
    done = _annotate(annotator, _docs(), "shard-1", failures, 5)
    assert annotator.batches[:3] == [5, 5, 5]  # batches of the given size (was a fixed 16)
    assert len(done) == 19
    assert failures == [{"pmid": "13", "source": "shard-1", "stage": "extract", "reason": "ValueError: cannot read PMID 13"}]
