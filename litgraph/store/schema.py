"""The graph schema shared by every backend, and the one place where corpus relation types map to edge types.

Nodes
    ``Article {pmid}``; one table per entity type ``Chemical``, ``Disease``, ``Gene``, ``Variant``,
    ``Species``, ``CellLine`` ``{id}`` (CURIE; ``name``, ``synonyms``, ``xrefs``);
    ``Evidence {id}`` (one per article and aggregated edge: sentence, offsets, score, model);
    ``Meta {key}`` (the key-value ledger).
Edges
    ``(:Article)-[:MENTIONS]->(entity)`` (``count``, ``texts``, ``score``, ``model``);
    ``(:Article)-[:HAS_EVIDENCE]->(:Evidence)``, ``(:Evidence)-[:SUBJECT]->(entity)``,
    ``(:Evidence)-[:OBJECT]->(entity)``;
    aggregated entity–entity edges of the types in ``EDGE_TYPES`` (``evidence_count``, ``pmids``,
    ``first_year``, ``last_year``, ``score``, ``model``).
Precomputed aggregates (``litgraph.store.aggregates``; derived, not in the CSV/Parquet export or bulk-load layout)
    ``articles`` on every entity node (articles mentioning it); ``(entity)-[:CO_MENTIONED {articles}]->(entity)``
    for every two entities mentioned together (articles mentioning both; one edge per pair).
"""

from __future__ import annotations

from dataclasses import dataclass

from litgraph.errors import InputError
from litgraph.records import ENTITY_TYPES, pair_key

#: Node labels of entities: the record entity types, in their order (which orients undirected relations).
ENTITY_LABELS = ENTITY_TYPES

#: Aggregated entity–entity edge types with what they say, subject first.
EDGE_TYPES = {
    "INDUCES": "the chemical causes or worsens the disease (BC5CDR CID; BioRED Positive_Correlation chemical–disease)",
    "TREATS": "the chemical treats, prevents or lessens the disease (BioRED Negative_Correlation chemical–disease)",
    "POSITIVELY_CORRELATED_WITH": "more of the subject goes with more of the object (BioRED Positive_Correlation, other pairs)",
    "NEGATIVELY_CORRELATED_WITH": "more of the subject goes with less of the object (BioRED Negative_Correlation, other pairs)",
    "ASSOCIATED_WITH": "an association without a stated direction (BioRED Association)",
    "BINDS": "physical binding (BioRED Bind)",
    "COTREATED_WITH": "given together (BioRED Cotreatment)",
    "COMPARED_WITH": "compared with each other (BioRED Comparison)",
    "INTERACTS_WITH": "a drug–drug interaction (BioRED Drug_Interaction)",
    "CONVERTS_TO": "the subject is converted into the object (BioRED Conversion)",
}

#: Relation types whose subject and object keep the order the corpus (or model) gives them.
_DIRECTED = {"CID", "Conversion"}

_SIMPLE = {
    "CID": "INDUCES",
    "Association": "ASSOCIATED_WITH",
    "Bind": "BINDS",
    "Cotreatment": "COTREATED_WITH",
    "Comparison": "COMPARED_WITH",
    "Drug_Interaction": "INTERACTS_WITH",
    "Conversion": "CONVERTS_TO",
}

#: Edge types a rel table may connect: every ordered pair of entity labels.
ENTITY_PAIRS = tuple((a, b) for a in ENTITY_LABELS for b in ENTITY_LABELS)


# Columns of every table as (name, type); types are written in LadybugDB's names.
ARTICLE_COLUMNS = (
    ("pmid", "STRING"), ("title", "STRING"), ("year", "INT64"), ("journal", "STRING"), ("doi", "STRING"),
    ("version", "INT64"), ("revised", "STRING"), ("retracted", "BOOL"), ("publication_types", "STRING[]"),
    ("hash", "STRING"), ("text_hash", "STRING"), ("models", "STRING[]"),
)
#: Columns added to a table after its first release: a bulk-load layout written without them still loads (nulls).
ADDED_COLUMNS = {"Article": ("text_hash",)}
ENTITY_COLUMNS = (("id", "STRING"), ("name", "STRING"), ("synonyms", "STRING[]"), ("xrefs", "STRING[]"))
EVIDENCE_COLUMNS = (
    ("id", "STRING"), ("pmid", "STRING"), ("edge", "STRING"), ("relation", "STRING"),
    ("subject_label", "STRING"), ("subject", "STRING"), ("object_label", "STRING"), ("object", "STRING"),
    ("sentence", "STRING"), ("start_offset", "INT64"), ("end_offset", "INT64"), ("score", "DOUBLE"),
    ("model", "STRING"), ("novel", "BOOL"), ("year", "INT64"),
)
META_COLUMNS = (("key", "STRING"), ("value", "STRING"))
# the NER models behind an article's mentions are in Article.models (a list column per edge would halve COPY speed)
MENTION_COLUMNS = (("count", "INT64"), ("texts", "STRING[]"), ("score", "DOUBLE"))
EDGE_COLUMNS = (
    ("evidence_count", "INT64"), ("pmids", "STRING[]"), ("first_year", "INT64"), ("last_year", "INT64"),
    ("score", "DOUBLE"), ("model", "STRING[]"),
)

#: node table -> (columns, primary key)
NODE_TABLES = {
    "Article": (ARTICLE_COLUMNS, "pmid"),
    **{label: (ENTITY_COLUMNS, "id") for label in ENTITY_LABELS},
    "Evidence": (EVIDENCE_COLUMNS, "id"),
    "Meta": (META_COLUMNS, "key"),
}
#: rel table -> (FROM/TO pairs, columns)
REL_TABLES = {
    "MENTIONS": (tuple(("Article", label) for label in ENTITY_LABELS), MENTION_COLUMNS),
    "HAS_EVIDENCE": ((("Article", "Evidence"),), ()),
    "SUBJECT": (tuple(("Evidence", label) for label in ENTITY_LABELS), ()),
    "OBJECT": (tuple(("Evidence", label) for label in ENTITY_LABELS), ()),
    **{edge: (ENTITY_PAIRS, EDGE_COLUMNS) for edge in EDGE_TYPES},
}

#: Aggregate columns every entity table has besides ENTITY_COLUMNS (kept by ``litgraph.store.aggregates``).
ENTITY_AGGREGATES = (("articles", "INT64"),)
#: Aggregated-edge properties with a range index per edge type in Neo4j (LadybugDB has no relationship
#: indexes): ``new-since`` reads each type's edges newest first from the ``first_year`` index.
EDGE_INDEXES = ("first_year",)
#: The co-mention edge type and its columns (kept by ``litgraph.store.aggregates``).
CO_MENTIONED = "CO_MENTIONED"
CO_MENTION_COLUMNS = (("articles", "INT64"),)


def arrow_type(kind: str):
    """The Arrow type of a column type above (Parquet export, bulk load, LadybugDB's COPY / LOAD FROM)."""
    import pyarrow as pa

    types = {"STRING": pa.string(), "INT64": pa.int64(), "DOUBLE": pa.float64(), "BOOL": pa.bool_(),
             "STRING[]": pa.list_(pa.string())}
    if kind not in types:
        raise ValueError(f"unknown column type {kind!r}")
    return types[kind]


@dataclass(frozen=True)
class EdgeKey:
    """An aggregated edge: its type and its two endpoints (label and CURIE)."""

    type: str
    subject_label: str
    subject: str
    object_label: str
    object: str


def edge_for(relation_type: str, subject: tuple[str, str], object_: tuple[str, str], *, doc_id: str = "") -> EdgeKey:
    """Map a corpus relation type between two (label, CURIE) endpoints to an aggregated edge.

    BC5CDR ``CID`` (chemical → disease) and BioRED ``Conversion`` keep the given order. BioRED's other
    types are undirected in the corpus; their endpoints are put in ``records.ENTITY_TYPES`` order (chemical,
    disease, gene, variant, species, cell line; equal types by CURIE: ``records.pair_key``), the order in which
    the relation model emits its pairs, so that the same pair always gives the same edge and an edge points
    the way the ``extract`` output does.
    A positive correlation of a chemical with a disease is ``INDUCES``, a negative one ``TREATS``.
    """
    if relation_type not in _SIMPLE and relation_type not in ("Positive_Correlation", "Negative_Correlation"):
        raise InputError(
            f"unknown relation type {relation_type!r}; known: CID, {', '.join(sorted(set(_SIMPLE) - {'CID'}))}, "
            "Positive_Correlation, Negative_Correlation",
            record=doc_id or None,
        )
    s, o = subject, object_
    if relation_type not in _DIRECTED:
        if pair_key(*o) < pair_key(*s):
            s, o = o, s
    if relation_type in _SIMPLE:
        edge = _SIMPLE[relation_type]
    elif s[0] == "Chemical" and o[0] == "Disease":
        edge = "INDUCES" if relation_type == "Positive_Correlation" else "TREATS"
    else:
        edge = "POSITIVELY_CORRELATED_WITH" if relation_type == "Positive_Correlation" else "NEGATIVELY_CORRELATED_WITH"
    return EdgeKey(edge, s[0], s[1], o[0], o[1])
