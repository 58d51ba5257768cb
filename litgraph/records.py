"""Plain, JSON-serialisable records passed between the stages.

Offsets of mentions and evidence are character offsets into ``document.text``
(``title + " " + abstract``), end exclusive, as in PubTator.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Union

#: Canonical entity types. BioRED's extra types keep their own names.
ENTITY_TYPES = ("Chemical", "Disease", "Gene", "Variant", "Species", "CellLine")


@dataclass
class AbstractSection:
    """One labelled section of a structured abstract, with its offsets into ``abstract``."""

    label: str
    start: int
    end: int
    category: str | None = None  # NLM category: BACKGROUND, METHODS, RESULTS, ...


@dataclass
class MeshHeading:
    """A MeSH heading of a PubMed record."""

    id: str  # CURIE, e.g. MESH:D001241
    name: str
    major: bool = False
    qualifiers: list[str] = field(default_factory=list)


@dataclass
class Mention:
    """An entity mention: a span of ``document.text`` with its type and ontology ids."""

    doc_id: str
    start: int
    end: int
    text: str
    type: str
    ids: list[str] = field(default_factory=list)  # CURIEs; empty when not normalised
    score: float | None = None  # NER confidence
    model: str | None = None  # version of the NER model that found it
    id_score: float | None = None  # normalisation confidence of ``ids``
    source_type: str | None = None  # the corpus's own label, e.g. "SpecificDisease"
    composite: list[str] = field(default_factory=list)  # texts of a composite mention's parts


@dataclass
class Relation:
    """A document-level relation between two concept ids."""

    doc_id: str
    type: str  # corpus relation type: CID, Association, Positive_Correlation, ...
    subject: str  # CURIE
    object: str  # CURIE
    score: float | None = None
    evidence_start: int | None = None  # sentence offsets into document.text
    evidence_end: int | None = None
    model: str | None = None
    novel: bool | None = None  # BioRED novelty


@dataclass
class Concept:
    """An ontology concept as a graph node: preferred name, synonyms and cross-references."""

    id: str  # CURIE: MESH:D001241, NCBIGene:672
    type: str  # Chemical, Disease, Gene, ...
    name: str
    synonyms: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)  # CURIEs: MONDO:, DOID:, CHEBI:, DRUGBANK:, UMLS:
    tree_numbers: list[str] = field(default_factory=list)


@dataclass
class Document:
    """A PubMed article (or corpus document), optionally with annotations."""

    pmid: str
    title: str = ""
    abstract: str = ""
    sections: list[AbstractSection] = field(default_factory=list)
    journal: str | None = None
    year: int | None = None
    publication_types: list[str] = field(default_factory=list)
    mesh_terms: list[MeshHeading] = field(default_factory=list)
    doi: str | None = None
    version: int = 1
    revised: str | None = None  # ISO date of the last revision (DateRevised)
    retracted: bool = False
    source: str | None = None
    mentions: list[Mention] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text that offsets point into: title, one space, abstract."""
        return f"{self.title} {self.abstract}"


@dataclass
class Deletion:
    """A PubMed ``DeleteCitation`` entry: the article must leave the graph."""

    pmid: str
    deleted: bool = True
    source: str | None = None


Record = Union[Document, Deletion]


def to_dict(record: Record) -> dict[str, Any]:
    """A record as a plain dict (what ``to_json`` writes)."""
    return asdict(record)


def to_json(record: Record) -> str:
    """One record as one JSON line."""
    return json.dumps(asdict(record), ensure_ascii=False)


def _build(cls, data: dict[str, Any]):
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown field(s) for {cls.__name__}: {', '.join(sorted(unknown))}")
    return cls(**data)


def from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a Document or Deletion from ``to_dict`` output."""
    if data.get("deleted"):
        return _build(Deletion, data)
    data = dict(data)
    data["sections"] = [_build(AbstractSection, s) for s in data.get("sections", [])]
    data["mesh_terms"] = [_build(MeshHeading, m) for m in data.get("mesh_terms", [])]
    data["mentions"] = [_build(Mention, m) for m in data.get("mentions", [])]
    data["relations"] = [_build(Relation, r) for r in data.get("relations", [])]
    return _build(Document, data)


def from_json(line: str) -> Record:
    """Parse one JSON line written by ``to_json``."""
    return from_dict(json.loads(line))
