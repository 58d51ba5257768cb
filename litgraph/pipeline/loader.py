"""Batches of records on their way into the graph: skip what is unchanged, extract the rest, load, delete.

A batch is one store transaction, and the ledger moves past it only once it committed. Its size adapts
(``BatchLoader``): as large as the store prefers (``GraphStore.write_batch``; LadybugDB pays a checkpoint per
commit), but no more records than this process reads and extracts in ``BATCH_SECONDS``, which bounds the work
a crash can lose. Within a batch a later record of a PMID wins over an earlier one, and a deletion cancels an earlier document of the same PMID, so the
batch can apply its deletions and upserts in any order and end in the state the records describe.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Iterable, Protocol

from litgraph.pipeline.ledger import models_key
from litgraph.pipeline.report import BuildReport, Failure
from litgraph.records import Deletion, Document

log = logging.getLogger(__name__)

#: Seconds of reading and extracting one adaptive batch may hold before it is written (what a crash can lose).
BATCH_SECONDS = 60.0
#: Records in the first adaptive batch, before the loader knows how fast records come.
FIRST_BATCH = 64


class Annotator(Protocol):
    """What the pipeline needs from an extractor: its model versions and ``annotate``."""

    model_versions: object

    def annotate(self, docs: Iterable[Document], batch_size: int = 16) -> Iterable[Document]: ...


class InputAnnotations:
    """Keep the annotations that came with the input (PubTator / BioC files) instead of running models."""

    version = "input-annotations"

    @property
    def model_versions(self) -> dict[str, str]:
        return {"ner": self.version, "re": self.version}

    def annotate(self, docs: Iterable[Document], batch_size: int = 16) -> Iterable[Document]:
        for doc in docs:
            for item in (*doc.mentions, *doc.relations):
                item.model = item.model or self.version
            yield doc


def _reason(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def annotate_isolating(annotator: Annotator, docs: list[Document], batch_size: int,
                       fail: Callable[[Document, str], None]) -> list[Document]:
    """``annotator.annotate(docs)`` in batches of ``batch_size``; when a batch fails (the error is logged), each
    document is annotated alone, and the ones that still fail go to ``fail(doc, reason)`` and are left out.
    Every engine isolates a bad record this way."""
    try:
        return list(annotator.annotate(docs, batch_size=batch_size))
    except Exception as err:
        log.info("extraction failed on a batch of %d (%s); retrying one document at a time", len(docs), _reason(err))
    done = []
    for doc in docs:
        try:
            done.extend(annotator.annotate([doc], batch_size=1))
        except Exception as err:
            fail(doc, _reason(err))
    return done


class BatchLoader:
    """Collects records and writes them to the store a batch at a time.

    ``annotator`` is a zero-argument callable returning the annotator, so models are loaded only
    when some article actually needs extracting (``None``: documents are already annotated).
    ``batch_size`` fixes the records per batch; None (the default) adapts it after every batch to the
    records that came in ``BATCH_SECONDS``, from ``FIRST_BATCH`` up to the store's ``write_batch``.
    """

    def __init__(self, store, report: BuildReport, *, versions: list[str], annotator: Callable[[], Annotator] | None,
                 concept: Callable | None, batch_size: int | None = None, extract_batch_size: int = 16,
                 content_hash: Callable[[Document], str], progress=None):
        self.store, self.report = store, report
        self.versions = models_key(versions)
        self.annotator, self.concept = annotator, concept
        self.adaptive = batch_size is None
        self.batch_size = min(FIRST_BATCH, store.write_batch) if batch_size is None else batch_size
        self.extract_batch_size = extract_batch_size
        self._since = time.perf_counter()  # when the batch being collected was started
        self.content_hash = content_hash
        self.progress = progress
        self.source = ""
        self.docs: dict[str, Document] = {}
        self.deletes: set[str] = set()
        self.forced: set[str] = set()
        self.pending = 0  # records added since the last flush
        self.recheck_empty = False  # the unit was processed by other models: re-extract articles they found nothing in
        self.new_failures: list[Failure] = []
        # Models replace the input's own annotations, so a model run neither hashes nor keeps them.
        self.keep_input_annotations = set(self.versions) <= {InputAnnotations.version}

    def add(self, record: Document | Deletion, *, force: bool = False) -> None:
        """Queue a record; ``force`` re-loads it even when the graph says it is current.

        A document without a title and an abstract is not loaded; it is reported as a failure."""
        if isinstance(record, Document) and not (record.title or "").strip() and not (record.abstract or "").strip():
            self.fail(record.pmid, "fetch", "the record has no title and no abstract; nothing to load (the graph keeps "
                                            "what it has for this PMID)")
            self.pending += 1
            return
        if isinstance(record, Document) and not self.keep_input_annotations:
            from litgraph.store.rows import input_annotations

            own_mentions, own_relations = input_annotations(record)
            if own_mentions or own_relations:
                record.mentions = [m for m in record.mentions if m not in own_mentions]
                record.relations = [r for r in record.relations if r not in own_relations]
        self.pending += 1
        if force:
            self.forced.add(record.pmid)
        if isinstance(record, Deletion):
            self.report.deletions_seen += 1
            self.docs.pop(record.pmid, None)
            self.deletes.add(record.pmid)
        else:
            self.deletes.discard(record.pmid)
            self.docs[record.pmid] = record

    @property
    def full(self) -> bool:
        return self.pending >= self.batch_size

    def fail(self, pmid: str | None, stage: str, reason: str, source: str | None = None) -> None:
        failure = Failure(pmid=pmid, source=source or self.source, stage=stage, reason=reason)
        self.report.failures.append(failure)
        self.new_failures.append(failure)
        log.warning("PMID %s failed at %s: %s", pmid, stage, reason)

    def take_failures(self) -> list[Failure]:
        taken, self.new_failures = self.new_failures, []
        return taken

    def flush(self) -> None:
        """Apply the batch; returns when it is durably in the store (then an adaptive loader sizes the next one)."""
        docs, deletes, forced, records = list(self.docs.values()), sorted(self.deletes), self.forced, self.pending
        self.docs, self.deletes, self.forced, self.pending = {}, set(), set(), 0
        if deletes:
            started = time.perf_counter()
            self.report.articles_deleted += self.store.delete_articles(deletes)
            self.report.timed("load", started)
        if docs:
            started = time.perf_counter()
            changed, same_text = self._changed(docs, forced)
            self.report.timed("check", started)
            self.report.articles_unchanged += len(docs) - len(changed) - len(same_text) - self._refused
            if same_text:
                started = time.perf_counter()
                self.report.articles_updated += self.store.update_articles(same_text)
                self.report.timed("load", started)
            if changed:
                started = time.perf_counter()
                annotated = self._annotate(changed)
                self.report.timed("extract", started)
                started = time.perf_counter()
                self._load(annotated)
                self.report.timed("load", started)
        if self.progress is not None:
            self.progress.update(len(docs) + len(deletes))
        now = time.perf_counter()
        if self.adaptive and records >= self.batch_size:  # a short batch (the end of a unit) says nothing of the rate
            rate = records / max(now - self._since, 1e-3)
            self.batch_size = max(FIRST_BATCH, min(self.store.write_batch, int(rate * BATCH_SECONDS)))
        self._since = now

    def _changed(self, docs: list[Document], forced: set[str]) -> tuple[list[Document], list[Document]]:
        """``(to extract and load, to update)``: documents that are new, revised, forced, or were processed by
        other model versions; and revisions that the models would read as before (same title, abstract and
        year, same model versions), whose Article node alone is rewritten.

        The store records the versions that produced an article's mentions and relations, so an
        article where the models found nothing has none: it counts as current unless the unit was
        processed by other models (``recheck_empty``).
        """
        from litgraph.store.rows import TITLE_ONLY, text_hash

        state = self.store.article_state([d.pmid for d in docs])
        versions = set(self.versions)
        changed, same_text = [], []
        self._refused = 0
        for doc in docs:
            known = state.get(doc.pmid)
            digest = self.content_hash(doc)
            if (known is not None and digest.startswith(TITLE_ONLY) and known.get("hash")
                    and not str(known["hash"]).startswith(TITLE_ONLY)):
                self.fail(doc.pmid, "fetch", "the record has no abstract and would replace the full article in the "
                                             "graph; skipped (the graph keeps the full article)")
                self._refused += 1
                continue
            models = set(models_key(known.get("models"))) if known else set()
            same_models = known is not None and doc.pmid not in forced and models <= versions and (models or not self.recheck_empty)
            if same_models and known.get("hash") == digest:
                continue
            if (same_models and not self.keep_input_annotations and known.get("year") == doc.year
                    and known.get("text_hash") == text_hash(doc)):
                same_text.append(doc)
            else:
                changed.append(doc)
        return changed, same_text

    def _annotate(self, docs: list[Document]) -> list[Document]:
        if self.annotator is None:
            return docs
        return annotate_isolating(self.annotator(), docs, self.extract_batch_size,
                                  lambda doc, reason: self.fail(doc.pmid, "extract", reason))

    def _load(self, docs: list[Document]) -> None:
        try:
            self.store.upsert_documents(docs, concept=self.concept)
            self.report.articles_loaded += len(docs)
            return
        except Exception as err:
            if len(docs) == 1:
                self.fail(docs[0].pmid, "load", _reason(err))
                return
            log.info("loading a batch failed (%s); retrying one document at a time", _reason(err))
        for doc in docs:
            self._load([doc])
