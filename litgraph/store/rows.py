"""Documents to the rows a backend writes, and per-article evidence to aggregated edges (backend independent)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Iterator

from litgraph.errors import InputError
from litgraph.records import Concept, Document, Mention
from litgraph.store.schema import ENTITY_LABELS, EdgeKey, edge_for

ConceptLookup = Callable[[str], "Concept | None"]

#: Score given to evidence without one (gold annotations).
GOLD_SCORE = 1.0


#: Model version of annotations that came with the input (``litgraph.pipeline.loader.InputAnnotations``).
INPUT_ANNOTATIONS = "input-annotations"
#: Prefix of the content hash of a record without an abstract (title only, or no text at all).
TITLE_ONLY = "title-only:"


#: Rows per read or write statement (``GraphStore.write_rows`` may say otherwise for writes).
BATCH_ROWS = 10_000


def chunks(rows: list, size: int = BATCH_ROWS) -> Iterator[list]:
    """``rows`` in slices of at most ``size``."""
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def input_annotations(doc: Document) -> tuple[list[Mention], list]:
    """The mentions and relations that came with the input (no model version, or ``input-annotations``)."""
    own = (None, "", INPUT_ANNOTATIONS)
    return [m for m in doc.mentions if m.model in own], [r for r in doc.relations if r.model in own]


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def content_hash(doc: Document) -> str:
    """sha256 of everything loaded from a record: its text and metadata (title, abstract, version, revised,
    retracted, MeSH, publication types) and the annotations that came with it (corpus or PubTator mentions
    and relations; never model output, whose versions are kept beside the hash).

    A corrected annotation therefore changes the hash and is loaded again. The hash of a record without
    an abstract starts with ``TITLE_ONLY``, so that the pipeline can refuse to let it replace a full article.
    """
    payload = {
        "title": doc.title,
        "abstract": doc.abstract,
        "version": doc.version,
        "revised": doc.revised,
        "retracted": bool(doc.retracted),
        "mesh": [asdict(m) for m in doc.mesh_terms],
        "publication_types": list(doc.publication_types),
    }
    mentions, relations = input_annotations(doc)
    if mentions or relations:  # absent for plain PubMed records: their hashes are the ones earlier versions wrote
        payload["mentions"] = sorted((
            [m.start, m.end, m.text, m.type, list(m.ids), m.source_type, list(m.composite), m.score] for m in mentions), key=_canonical)
        payload["relations"] = sorted((
            [r.type, r.subject, r.object, r.novel, r.score, r.evidence_start, r.evidence_end] for r in relations), key=_canonical)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()
    return digest if (doc.abstract or "").strip() else TITLE_ONLY + digest


def text_hash(doc: Document) -> str:
    """sha256 of a record's title and abstract: what the models read. A revision that keeps it (new MeSH
    terms, a new version number) needs no new extraction."""
    return hashlib.sha256(_canonical([doc.title or "", doc.abstract or ""]).encode("utf-8")).hexdigest()


def document_models(doc: Document) -> list[str]:
    """The model versions that produced a document's mentions and relations, sorted."""
    return sorted({m.model for m in doc.mentions if m.model} | {r.model for r in doc.relations if r.model})


@dataclass
class Batch:
    """Everything one ``upsert_documents`` call writes, grouped the way the backends write it."""

    articles: list[dict] = field(default_factory=list)
    entities: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))  # label -> id -> row
    mentions: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))  # label -> rows
    evidence: list[dict] = field(default_factory=list)

    @property
    def pmids(self) -> list[str]:
        return [a["pmid"] for a in self.articles]


def _sentence_finder() -> Callable[[str], list[tuple[int, int]]]:
    """``litgraph.text.sentences``, splitting each text once however many of its relations need a sentence."""
    from litgraph.text import sentences

    last: dict[str, list[tuple[int, int]]] = {}

    def spans(text: str) -> list[tuple[int, int]]:
        if text not in last:
            last.clear()  # documents come one after the other: keep only the current one
            last[text] = sentences(text)
        return last[text]

    return spans


def build_batch(docs: Iterable[Document], concept: ConceptLookup | None = None) -> Batch:
    """Rows for articles, entities, mentions and evidence of ``docs`` (a later copy of a PMID wins).

    Mentions without ids are not loaded (an entity node needs an id); a composite mention counts for
    each of its ids. A relation whose endpoints are neither mentioned in the document nor known to
    ``concept`` is skipped (its entity type is unknown). Evidence without sentence offsets gets the
    first sentence that mentions both endpoints.
    """
    by_pmid: dict[str, Document] = {}
    for doc in docs:
        by_pmid[str(doc.pmid)] = doc
    batch = Batch()
    concepts: dict[str, Concept | None] = {}

    def lookup(curie: str) -> Concept | None:
        if concept is None:
            return None
        if curie not in concepts:
            concepts[curie] = concept(curie)
        return concepts[curie]

    sentences = None
    for pmid, doc in by_pmid.items():
        batch.articles.append(article_row(pmid, doc))
        labels: dict[str, str] = {}
        per_entity: dict[str, list[Mention]] = defaultdict(list)
        for mention in doc.mentions:
            if mention.type not in ENTITY_LABELS:
                raise InputError(
                    f"mention type {mention.type!r} is not one of {', '.join(ENTITY_LABELS)}", record=pmid
                )
            for curie in dict.fromkeys(mention.ids):
                labels.setdefault(curie, mention.type)
                per_entity[curie].append(mention)
        for curie, mentions in per_entity.items():
            label = labels[curie]
            _entity_row(batch, label, curie, mentions, lookup(curie))
            scores = [m.score for m in mentions if m.score is not None]
            batch.mentions[label].append({
                "pmid": pmid,
                "id": curie,
                "count": len(mentions),
                "texts": sorted({m.text for m in mentions}),
                "score": max(scores) if scores else GOLD_SCORE,
            })
        best: dict[EdgeKey, dict] = {}
        for rel in doc.relations:
            ends = []
            for curie in (rel.subject, rel.object):
                label = labels.get(curie)
                if label is None:
                    known = lookup(curie)
                    if known is None or known.type not in ENTITY_LABELS:
                        break
                    label = known.type
                    _entity_row(batch, label, curie, [], known)
                ends.append((label, curie))
            if len(ends) < 2:
                continue
            key = edge_for(rel.type, ends[0], ends[1], doc_id=pmid)
            score = rel.score if rel.score is not None else GOLD_SCORE
            if key in best and best[key]["score"] >= score:
                continue
            start, end = rel.evidence_start, rel.evidence_end
            if start is None or end is None:
                if sentences is None:
                    sentences = _sentence_finder()
                start, end = _shared_sentence(doc, per_entity.get(rel.subject, []), per_entity.get(rel.object, []), sentences)
            best[key] = {
                "id": f"{pmid}|{key.type}|{key.subject}|{key.object}",
                "pmid": pmid,
                "edge": key.type,
                "relation": rel.type,
                "subject_label": key.subject_label,
                "subject": key.subject,
                "object_label": key.object_label,
                "object": key.object,
                "sentence": doc.text[start:end] if start is not None else None,
                "start_offset": start,
                "end_offset": end,
                "score": float(score),
                "model": rel.model,
                "novel": bool(rel.novel) if rel.novel is not None else False,
                "year": doc.year,
            }
        batch.evidence.extend(best.values())
    return batch


def article_row(pmid: str, doc: Document) -> dict:
    """The Article node's properties for a document."""
    return {
        "pmid": pmid,
        "title": doc.title or "",
        "year": doc.year,
        "journal": doc.journal,
        "doi": doc.doi,
        "version": int(doc.version or 1),
        "revised": doc.revised,
        "retracted": bool(doc.retracted),
        "publication_types": list(doc.publication_types),
        "hash": content_hash(doc),
        "text_hash": text_hash(doc),
        "models": document_models(doc),
    }


def _entity_row(batch: Batch, label: str, curie: str, mentions: list[Mention], known: Concept | None) -> None:
    """The entity's row: from its concept, else named (once per batch) by its most frequent mention text."""
    rows = batch.entities[label]
    if known is not None:
        rows[curie] = {"id": curie, "name": known.name, "synonyms": list(known.synonyms), "xrefs": list(known.xrefs),
                       "known": True}
    elif curie not in rows:
        name = mentions[0].text if len(mentions) == 1 else Counter(m.text for m in mentions).most_common(1)[0][0]
        rows[curie] = {"id": curie, "name": name, "synonyms": [], "xrefs": [], "known": False}


def _shared_sentence(doc: Document, subject: list[Mention], object_: list[Mention], sentences) -> tuple[int | None, int | None]:
    if not subject or not object_:
        return None, None
    for start, end in sentences(doc.text):
        if any(start <= m.start < end for m in subject) and any(start <= m.start < end for m in object_):
            return start, end
    return None, None


def aggregate(key: EdgeKey, evidence: list[dict]) -> dict:
    """The aggregated edge of ``key`` from its evidence rows (``pmid``, ``year``, ``score``, ``model``).

    ``score`` combines the evidence scores by noisy-OR (1 - prod(1 - s)), so more and better evidence
    ranks higher; ``pmids`` are sorted newest first; unknown years are ignored.
    """
    years = [e["year"] for e in evidence if e["year"] is not None]
    miss = 1.0
    for e in evidence:
        miss *= 1.0 - min(max(float(e["score"]), 0.0), 1.0)
    ordered = sorted(evidence, key=lambda e: (-(e["year"] if e["year"] is not None else -1), e["pmid"]))
    return {
        "s": key.subject,
        "o": key.object,
        "evidence_count": len(evidence),
        "pmids": [e["pmid"] for e in ordered],
        "first_year": min(years) if years else None,
        "last_year": max(years) if years else None,
        "score": round(1.0 - miss, 6),
        "model": sorted({e["model"] for e in evidence if e["model"]}),
    }
