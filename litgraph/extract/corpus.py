"""Training and evaluation documents with the entity and relation types their corpus annotates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from litgraph.fetch.corpora import load_corpus, resolve
from litgraph.errors import InputError
from litgraph.extract.store import sha256
from litgraph.records import Document
from litgraph.settings import Settings


@dataclass
class CorpusDocs:
    """A loaded corpus: its documents and what it annotates."""

    name: str
    path: Path
    documents: list[Document]
    annotates: tuple[str, ...]
    relation_types: tuple[str, ...]
    most_specific: bool = False  # relates the most specific disease only (``CorpusSpec.most_specific``)

    def card_row(self, role: str) -> dict:
        return {"name": self.name, "role": role, "documents": len(self.documents), "sha256": sha256(self.path)}


def load(name: str, settings: Settings, limit: int | None = None, exclude: set[str] | None = None) -> CorpusDocs:
    """Load a corpus by name or path; types come from the corpus spec, or from the file for a bare file."""
    ref = resolve(name, settings)
    docs = load_corpus(name, settings)
    if exclude:
        docs = [d for d in docs if d.pmid not in exclude]
    if limit is not None:
        docs = docs[:limit]
    if not docs:
        raise InputError("no documents to use", path=str(ref.path))
    if ref.spec is not None:
        annotates, relation_types = ref.spec.annotates, ref.spec.relation_types
    else:
        annotates = tuple(sorted({m.type for d in docs for m in d.mentions}))
        relation_types = tuple(sorted({r.type for d in docs for r in d.relations}))
    most_specific = ref.spec.most_specific if ref.spec is not None else False
    return CorpusDocs(name, ref.path, docs, annotates, relation_types, most_specific)
