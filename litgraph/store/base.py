"""The ``GraphStore`` interface and the load logic every backend shares.

A backend implements the small write/read primitives (``_write_*``, ``_delete_*``, ``_evidence_for``...)
with its own Cypher; replacing an article's annotations and recomputing the aggregated edges is done
here once, so both backends behave the same.
"""

from __future__ import annotations

import abc
import contextlib
import gc
import logging
import queue
import threading
from collections import defaultdict
from typing import Iterable, Iterator

from litgraph.errors import TransactionTooLarge
from litgraph.records import Document
from litgraph.store import aggregates
from litgraph.store.rows import BATCH_ROWS, ConceptLookup, aggregate, article_row, build_batch, chunks
from litgraph.store.schema import ENTITY_LABELS, NODE_TABLES, REL_TABLES, EdgeKey

log = logging.getLogger(__name__)


def read_ahead(items: Iterator, depth: int = 1) -> Iterator:
    """The items of ``items``, produced on a thread of their own up to ``depth`` ahead of the consumer, so that
    preparing the next batch (Python) overlaps waiting for the database to write this one (the socket read
    releases the GIL). An exception in ``items`` is raised in the consumer; leaving early stops the producer."""
    done, failed = object(), []
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as err:  # noqa: BLE001 - handed to the consumer
            failed.append(err)
        put(done)

    worker = threading.Thread(target=produce, name="litgraph-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not done:
            yield item
        if failed:
            raise failed[0]
    finally:
        stop.set()
        worker.join()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a batch allocates hundreds of thousands of row dicts and lists
    (no cycles), and each collection walks every live object, which took more than half of ``build_batch``'s
    time on 5,000 documents. Collection resumes (and catches up) when the block ends."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class GraphStore(abc.ABC):
    """A litgraph knowledge graph: articles, entities, mentions, evidence and aggregated edges.

    Use as a context manager (``with open_store(settings) as store: ...``). Entities left without
    any mention or evidence after a delete or a revision are removed with their node. Named queries run
    on a store through the query layer above it: ``litgraph.query.run_query(store, name, params)``.
    """

    backend: str = ""
    #: Rows per write statement (an UNWIND list, or an Arrow table for LadybugDB's COPY / LOAD FROM).
    write_rows: int = BATCH_ROWS
    #: Documents per ``upsert_documents`` call (one transaction) the build loader gives this store at most.
    write_batch: int = 5_000
    settings = None  # the Settings the store was opened with (the query library resolves names with them)

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- public API
    def upsert_documents(self, docs: Iterable[Document], concept: ConceptLookup | None = None) -> dict:
        """Load documents, replacing each article's mentions and evidence, and update the aggregated edges.

        Returns counts: ``articles``, ``entities``, ``mentions``, ``evidence`` written, ``edges`` updated
        and ``edges_removed``. Loading the same input twice leaves the graph unchanged.
        """
        docs = list(docs)
        with gc_paused():
            batch = build_batch(docs, concept)
        if not batch.articles:
            return {"articles": 0, "entities": 0, "mentions": 0, "evidence": 0, "edges": 0, "edges_removed": 0}

        def run() -> dict:
            with gc_paused():
                return self._in_transaction(self._upsert, batch)

        parts = self._halved_if_too_large(docs, run, lambda half: self.upsert_documents(half, concept),
                                          "a batch of %d documents did not fit (%s); loading it in two halves")
        return {k: sum(part[k] for part in parts) for k in parts[0]}

    def _upsert(self, batch) -> dict:
        pmids = batch.pmids
        # only articles already in the graph have annotations to replace: new ones skip those reads and deletes
        present = sorted(self.article_state(pmids))
        old_keys = set(self._evidence_keys(present)) if present else set()
        stored = self._article_mentions(present) if present else {}
        before = {pmid: set(rows) for pmid, rows in stored.items()}
        # a revised article's mention rows are compared one by one with the stored ones: a row the revision no
        # longer has is deleted, a changed one updated in place, an unchanged one kept, only a new one written
        gone, changed = _mention_changes(stored, _mention_rows(batch) if present else {})
        old_entities = {(label, pair["o"]) for label, pairs in gone.items() for pair in pairs}
        for label, pairs in gone.items():
            for part in chunks(pairs, self.write_rows):
                self._delete_mention_rows(label, part)
        for label, rows in changed.items():
            for part in chunks(rows, self.write_rows):
                self._update_mentions(label, part)
        if present:
            self._delete_evidence(present)
        known = set(present)
        for rows in chunks([a for a in batch.articles if a["pmid"] in known], self.write_rows):
            self._write_articles(rows)
        for rows in chunks([a for a in batch.articles if a["pmid"] not in known], self.write_rows):
            self._create_articles(rows)
        for label, by_id in batch.entities.items():
            for rows in chunks(list(by_id.values()), self.write_rows):
                self._write_entities(label, rows)
        for label, mention_rows in batch.mentions.items():
            for rows in chunks([r for r in mention_rows if (label, r["id"]) not in stored.get(r["pmid"], ())], self.write_rows):
                self._write_mentions(label, rows)
        for rows in chunks(batch.evidence, self.write_rows):
            self._write_evidence(rows)
        new_evidence: dict[EdgeKey, list[dict]] = defaultdict(list)
        for e in batch.evidence:
            new_evidence[EdgeKey(e["edge"], e["subject_label"], e["subject"], e["object_label"], e["object"])].append(e)
        updated, removed = self._recompute(old_keys | set(new_evidence), old_keys=old_keys, batch_evidence=new_evidence)
        self._remove_orphans(old_entities | {(k.subject_label, k.subject) for k in old_keys} | {(k.object_label, k.object) for k in old_keys})
        aggregates.refresh(self, before, aggregates.mentioned(batch))
        return {
            "articles": len(batch.articles),
            "entities": sum(len(v) for v in batch.entities.values()),
            "mentions": sum(len(v) for v in batch.mentions.values()),
            "evidence": len(batch.evidence),
            "edges": updated,
            "edges_removed": removed,
        }

    def update_articles(self, docs: Iterable[Document]) -> int:
        """Rewrite the Article nodes of documents already in the graph (metadata, version, hashes), keeping their
        mentions, evidence and ``models``: for revisions that leave the title and abstract as they were, which need
        no new extraction. Documents not in the graph are left out; returns how many articles were updated."""
        by_pmid = {str(d.pmid): d for d in docs}
        state = self.article_state(by_pmid)
        rows = [dict(article_row(pmid, by_pmid[pmid]), models=known["models"]) for pmid, known in sorted(state.items())]

        def write() -> None:
            for part in chunks(rows, self.write_rows):
                self._write_articles(part)

        if rows:
            self._in_transaction(write)
        return len(rows)

    def delete_articles(self, pmids: Iterable[str]) -> int:
        """Remove articles with their mentions and evidence; returns how many articles were there.

        Aggregated edges are recomputed (an edge with no evidence left is removed); entities left with
        no mention and no evidence are removed.
        """
        pmids = sorted({str(p) for p in pmids})
        present = list(self.article_state(pmids))
        if present:
            self._halved_if_too_large(present, lambda: self._in_transaction(self._delete, present), self.delete_articles,
                                      "deleting %d articles did not fit (%s); deleting them in two halves")
        return len(present)

    def _halved_if_too_large(self, items: list, run, again, message: str) -> list:
        """``[run()]``, ``run`` being one transaction over ``items``. One rolled back whole as too large for the
        store's memory (``TransactionTooLarge``) runs again once the store has freed what it can, for a single
        item, or else as ``[again(first half), again(second half)]``, each its own transaction, rather than fail;
        ``message`` (with the item count and the error) is logged then."""
        try:
            return [run()]
        except TransactionTooLarge as err:
            self._relieve_memory()
            if len(items) < 2:
                return [run()]
            log.info(message, len(items), err)
            half = len(items) // 2
            return [again(items[:half]), again(items[half:])]

    def _delete(self, present: list[str]) -> None:
        keys = set(self._evidence_keys(present))
        before = aggregates.snapshot(self, present)
        entities = set().union(*before.values())
        self._delete_mentions(present)
        self._delete_evidence(present)
        for rows in chunks(present):
            self._delete_article_nodes(rows)
        self._recompute(keys)
        self._remove_orphans(entities | {(k.subject_label, k.subject) for k in keys} | {(k.object_label, k.object) for k in keys})
        aggregates.refresh(self, before, {})

    def labels_of(self, curie: str, labels: Iterable[str] = ENTITY_LABELS) -> list[str]:
        """The entity labels (among ``labels``) that have a node with this CURIE, most mentioned first."""
        found = [label for label in labels if self.find_entities(curie, [label], by="id")]
        return found

    @abc.abstractmethod
    def find_entities(self, value: str, labels: Iterable[str], *, by: str = "name") -> list[str]:
        """CURIEs of entities with id ``value`` (``by="id"``) or that name or synonym (``by="name"``)."""

    def transaction(self) -> contextlib.AbstractContextManager:
        """A context manager inside which the writes of one call commit together."""
        return contextlib.nullcontext(self)

    def _in_transaction(self, work, *args):
        """Run ``work(*args)`` so that its writes commit together (a backend may retry it whole)."""
        with self.transaction():
            return work(*args)

    def article_state(self, pmids: Iterable[str]) -> dict[str, dict]:
        """``{pmid: {"hash", "text_hash", "year", "version", "models"}}`` for the given PMIDs that are in the graph
        (``text_hash`` is None for articles loaded before it was recorded)."""
        state = {}
        for part in chunks(sorted({str(p) for p in pmids})):
            for row in self.run_cypher(
                "UNWIND $pmids AS p MATCH (a:Article {pmid: p}) RETURN a.pmid AS pmid, a.hash AS hash, "
                "a.text_hash AS text_hash, a.year AS year, a.version AS version, a.models AS models",
                {"pmids": part},
            ):
                state[row["pmid"]] = {"hash": row["hash"], "text_hash": row["text_hash"], "year": row["year"],
                                      "version": row["version"], "models": list(row["models"] or [])}
        return state

    def get_meta(self, key: str) -> str | None:
        """A value from the graph's key-value ledger, or None."""
        rows = self.run_cypher("MATCH (m:Meta {key: $key}) RETURN m.value AS value", {"key": key})
        return rows[0]["value"] if rows else None

    @abc.abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the graph's key-value ledger."""

    @abc.abstractmethod
    def run_cypher(self, text: str, params: dict | None = None) -> list[dict]:
        """Run one Cypher statement in this backend's dialect; rows as dicts."""

    @abc.abstractmethod
    def iter_nodes(self, label: str) -> Iterator[dict]:
        """Every node of a label as a dict of its properties (``schema.NODE_TABLES`` columns)."""

    @abc.abstractmethod
    def iter_edges(self, edge: str) -> Iterator[dict]:
        """Every edge of a type: ``from_label``, ``from``, ``to_label``, ``to`` (node keys) and its properties."""

    def stats(self) -> dict:
        """``{"nodes": {label: n}, "edges": {type: n}, "articles": n, "models": [...]}``."""
        nodes = {t: self.run_cypher(f"MATCH (n:{t}) RETURN count(n) AS n")[0]["n"] for t in NODE_TABLES if t != "Meta"}
        edges = {t: self.run_cypher(f"MATCH ()-[r:{t}]->() RETURN count(r) AS n")[0]["n"] for t in REL_TABLES}
        models = {r["m"] for r in self.run_cypher("MATCH (a:Article) WHERE a.models IS NOT NULL UNWIND a.models AS m RETURN DISTINCT m")}
        return {
            "nodes": {k: v for k, v in sorted(nodes.items()) if v},
            "edges": {k: v for k, v in sorted(edges.items()) if v},
            "articles": nodes.get("Article", 0),
            "models": sorted(models),
        }

    @abc.abstractmethod
    def close(self) -> None:
        """Release the database."""

    # -------------------------------------------------------- backend primitives
    def _evidence_keys(self, pmids: list[str]) -> Iterable[EdgeKey]:
        """The aggregated edges the given articles have evidence for."""
        for part in chunks(pmids):
            for r in self.run_cypher(
                "UNWIND $pmids AS p MATCH (:Article {pmid: p})-[:HAS_EVIDENCE]->(e:Evidence) "
                "RETURN e.edge AS edge, e.subject_label AS sl, e.subject AS s, e.object_label AS ol, e.object AS o",
                {"pmids": part},
            ):
                yield EdgeKey(r["edge"], r["sl"], r["s"], r["ol"], r["o"])

    @abc.abstractmethod
    def _article_mentions(self, pmids: list[str]) -> dict[str, dict[tuple[str, str], tuple]]:
        """The articles' MENTIONS rows: ``{pmid: {(label, id): (count, texts, score)}}`` (``texts`` a tuple)."""

    @abc.abstractmethod
    def _delete_mentions(self, pmids: list[str]) -> None:
        """Remove the articles' MENTIONS edges (the Article nodes stay)."""

    @abc.abstractmethod
    def _delete_mention_rows(self, label: str, pairs: list[dict]) -> None:
        """Remove the MENTIONS edges ``pairs`` (``s``: PMID, ``o``: the id of an entity of ``label``)."""

    @abc.abstractmethod
    def _update_mentions(self, label: str, rows: list[dict]) -> None:
        """Set ``count``, ``texts`` and ``score`` of existing MENTIONS edges (rows as ``_write_mentions`` gets)."""

    @abc.abstractmethod
    def _delete_evidence(self, pmids: list[str]) -> None:
        """Remove the articles' Evidence nodes with their edges."""

    @abc.abstractmethod
    def _delete_article_nodes(self, pmids: list[str]) -> None:
        """Remove Article nodes."""

    @abc.abstractmethod
    def _write_articles(self, rows: list[dict]) -> None: ...

    @abc.abstractmethod
    def _write_entities(self, label: str, rows: list[dict]) -> None: ...

    @abc.abstractmethod
    def _write_mentions(self, label: str, rows: list[dict]) -> None: ...

    @abc.abstractmethod
    def _write_evidence(self, rows: list[dict]) -> None: ...

    @abc.abstractmethod
    def _evidence_for(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> list[dict]:
        """Evidence rows (``s``, ``o``, ``pmid``, ``year``, ``score``, ``model``) of edges between the pairs."""

    @abc.abstractmethod
    def _existing_edges(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> set[tuple[str, str]]:
        """The ``(s, o)`` among ``pairs`` that have an aggregated edge of this type."""

    @abc.abstractmethod
    def _write_edges(self, edge: str, subject_label: str, object_label: str, rows: list[dict]) -> None: ...

    def _create_articles(self, rows: list[dict]) -> None:
        """Write Article nodes known not to exist yet (a backend may append them faster than it merges)."""
        self._write_articles(rows)

    def _relieve_memory(self) -> None:
        """Free what the backend can before a write is retried (LadybugDB: a checkpoint)."""

    def _create_edges(self, edge: str, subject_label: str, object_label: str, rows: list[dict]) -> None:
        """Write aggregated edges known not to exist yet (a backend may append them faster than it merges)."""
        self._write_edges(edge, subject_label, object_label, rows)

    @abc.abstractmethod
    def _delete_edges(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> None: ...

    @abc.abstractmethod
    def _delete_orphans(self, label: str, ids: list[str]) -> None:
        """Remove entities among ``ids`` that have no MENTIONS and no evidence."""

    # ------------------------------------------------------------------ helpers
    def _recompute(self, keys: set[EdgeKey], *, old_keys: set[EdgeKey] | None = None,
                   batch_evidence: dict[EdgeKey, list[dict]] | None = None) -> tuple[int, int]:
        """Rewrite the aggregated edges of ``keys`` from their evidence; remove those with none left.

        An edge exists exactly while some evidence does. So a key the batch has evidence for
        (``batch_evidence``) that its articles had no evidence for before (``old_keys``) and that has no edge
        in the graph yet has no evidence outside the batch: it is aggregated from the batch's rows and appended
        (``_create_edges``), without reading evidence back. Every other key is read (``_evidence_for``) and
        merged, or removed when no evidence is left.
        """
        batch_evidence = batch_evidence or {}
        old_keys = old_keys or set()
        groups: dict[tuple[str, str, str], list[EdgeKey]] = defaultdict(list)
        for key in keys:
            groups[(key.type, key.subject_label, key.object_label)].append(key)
        updated = removed = 0
        for (edge, sl, ol), group in sorted(groups.items()):
            for part in chunks(sorted(group, key=lambda k: (k.subject, k.object)), self.write_rows):
                maybe_new = [k for k in part if k in batch_evidence and k not in old_keys]
                existing = self._existing_edges(edge, sl, ol, [{"s": k.subject, "o": k.object} for k in maybe_new]) \
                    if maybe_new else set()
                new = {k for k in maybe_new if (k.subject, k.object) not in existing}
                fresh = [aggregate(k, batch_evidence[k]) for k in maybe_new if k in new]
                read = [k for k in part if k not in new]
                rows, gone = [], []
                if read:
                    pairs = [{"s": k.subject, "o": k.object} for k in read]
                    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
                    for row in self._evidence_for(edge, sl, ol, pairs):
                        found[(row["s"], row["o"])].append(row)
                    rows = [aggregate(k, found[(k.subject, k.object)]) for k in read if (k.subject, k.object) in found]
                    gone = [p for p in pairs if (p["s"], p["o"]) not in found]
                if fresh:
                    self._create_edges(edge, sl, ol, fresh)
                if rows:
                    self._write_edges(edge, sl, ol, rows)
                if gone:
                    self._delete_edges(edge, sl, ol, gone)
                updated += len(rows) + len(fresh)
                removed += len(gone)
        return updated, removed

    def _remove_orphans(self, entities: set[tuple[str, str]]) -> None:
        by_label: dict[str, list[str]] = defaultdict(list)
        for label, curie in entities:
            by_label[label].append(curie)
        for label in ENTITY_LABELS:
            for ids in chunks(sorted(by_label.get(label, []))):
                self._delete_orphans(label, ids)


def _mention_changes(stored: dict, incoming: dict) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """For the articles in ``stored`` (``GraphStore._article_mentions``): the rows the batch (``incoming``, the same
    form) no longer has, as ``{label: [{"s": pmid, "o": id}]}``, and the rows it changes, as ``{label: [row]}``."""
    gone: dict[str, list[dict]] = defaultdict(list)
    changed: dict[str, list[dict]] = defaultdict(list)
    for pmid, rows in stored.items():
        new = incoming.get(pmid, {})
        for (label, curie), value in rows.items():
            if (label, curie) not in new:
                gone[label].append({"s": pmid, "o": curie})
            elif new[(label, curie)] != value:
                count, texts, score = new[(label, curie)]
                changed[label].append({"pmid": pmid, "id": curie, "count": count, "texts": list(texts), "score": score})
    return dict(gone), dict(changed)


def _mention_rows(batch) -> dict[str, dict[tuple[str, str], tuple]]:
    """A write batch's MENTIONS rows in the form of ``GraphStore._article_mentions``."""
    found: dict[str, dict[tuple[str, str], tuple]] = defaultdict(dict)
    for label, rows in batch.mentions.items():
        for r in rows:
            found[r["pmid"]][(label, r["id"])] = (r["count"], tuple(r["texts"]), r["score"])
    return found
