"""Plain, JSON-serialisable records passed between the stages.

Offsets of mentions and evidence are character offsets into ``document.text``
(``title + " " + abstract``), end exclusive, as in PubTator.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Union

#: Canonical entity types, in the one order litgraph uses everywhere: the relation model's entity markers and
#: candidate pairs, the normaliser, and the graph's labels. It also orients relations that have no direction of
#: their own (BioRED's): the endpoint whose type comes first is the subject (``pair_key``). The shipped relation
#: model was trained with its pairs in this order, so changing it changes what the model's outputs mean.
ENTITY_TYPES = ("Chemical", "Disease", "Gene", "Variant", "Species", "CellLine")


def pair_key(entity_type: str, curie: str) -> tuple[int, str]:
    """Sort key of one endpoint of an undirected relation: by ``ENTITY_TYPES`` order, then by CURIE.
    The smaller endpoint is the subject, in ``extract`` output and in the graph alike."""
    return ENTITY_TYPES.index(entity_type), curie


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


_PMID = re.compile(r"[1-9][0-9]{0,9}")
#: The years a record may carry (PubMed's oldest citations are from the 1600s).
FIRST_YEAR = 1500


def valid_pmid(value: object) -> bool:
    """True for a PMID: a positive whole number written in ASCII digits, without a sign or leading zeros."""
    return isinstance(value, str) and _PMID.fullmatch(value) is not None


def check_record(record: Record) -> str | None:
    """Why a record cannot be loaded, or None when it is sound.

    Checked: the PMID (a positive whole number), field types, ``year`` (FIRST_YEAR to next year + 5),
    ``revised`` (a real ISO date), ``version`` (at least 1), and that every mention's offsets lie
    inside ``text`` with start before end and every relation names two ids.
    """
    import datetime

    if not valid_pmid(record.pmid):
        return f"PMID {record.pmid!r} is not a positive whole number"
    if isinstance(record, Deletion):
        return None
    for name in ("title", "abstract"):
        if not isinstance(getattr(record, name), str):
            return f"{name} must be text, not {type(getattr(record, name)).__name__}"
    year = record.year
    last = datetime.date.today().year + 5
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= last):
        return f"year {year!r} is impossible (expected {FIRST_YEAR}-{last})"
    if record.revised is not None:
        try:
            datetime.date.fromisoformat(str(record.revised))
        except ValueError:
            return f"revision date {record.revised!r} is not a real date (YYYY-MM-DD)"
    if isinstance(record.version, bool) or not isinstance(record.version, int) or record.version < 1:
        return f"version {record.version!r} must be a whole number from 1"
    length = len(record.text)
    for mention in record.mentions:
        start, end = mention.start, mention.end
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            return f"mention {mention.text!r}: offsets must be whole numbers, not {start!r}-{end!r}"
        if not 0 <= start < end <= length:
            return f"mention {mention.text!r}: offsets {start}-{end} fall outside the text ({length} characters)"
        if not isinstance(mention.type, str) or not mention.type:
            return f"mention {mention.text!r} has no entity type"
        if not all(isinstance(i, str) and i for i in mention.ids):
            return f"mention {mention.text!r}: ids must be non-empty text, not {mention.ids!r}"
    for relation in record.relations:
        if not all(isinstance(v, str) and v for v in (relation.type, relation.subject, relation.object)):
            return f"relation {relation.type!r} needs a type, a subject id and an object id"
    return None


def to_dict(record: Record) -> dict[str, Any]:
    """A record as a plain dict (what ``to_json`` writes)."""
    return asdict(record)


def to_json(record: Record) -> str:
    """One record as one JSON line."""
    return json.dumps(asdict(record), ensure_ascii=False)


def _build(cls, data: dict[str, Any]):
    if not isinstance(data, dict):
        raise ValueError(f"a {cls.__name__} must be a JSON object, not {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown field(s) for {cls.__name__}: {', '.join(sorted(unknown))}")
    return cls(**data)


def from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a Document or Deletion from ``to_dict`` output (ValueError or TypeError when it is not one)."""
    if not isinstance(data, dict):
        raise ValueError(f"a record must be a JSON object, not {type(data).__name__}")
    for name in ("sections", "mesh_terms", "mentions", "relations"):
        if not isinstance(data.get(name, []), list):
            raise ValueError(f"{name} must be a list")
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
