"""PubTator files (BC5CDR, BioRED, NCBI-disease): streaming reader and writer.

A document is ``PMID|t|title``, ``PMID|a|abstract``, then tab-separated mention lines
(``PMID start end text type ids [composite texts]``) and relation lines, ended by a blank line.
Handled quirks: ``|`` composite ids with a 7th column, ``-1``/``-`` for "not normalised",
BioRED comma-separated ids, ``|`` inside variant ids (never split), NCBI-disease ``+`` ids,
leading spaces in ids, ``MESH:`` prefixes, CRLF line ends, leading blank lines and
duplicate PMIDs (all yielded; see ``litgraph.fetch.corpora`` for de-duplication).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Iterable, Iterator

from litgraph.connectors.files import GZIP_ERRORS, gzip_error, open_input
from litgraph.connectors.ids import from_curie, to_curie
from litgraph.errors import InputError
from litgraph.records import Document, Mention, Relation, valid_pmid

#: Corpus entity labels to litgraph's entity types.
TYPE_MAP = {
    "Chemical": "Chemical",
    "Disease": "Disease",
    "ChemicalEntity": "Chemical",
    "DiseaseOrPhenotypicFeature": "Disease",
    "GeneOrGeneProduct": "Gene",
    "SequenceVariant": "Variant",
    "OrganismTaxon": "Species",
    "CellLine": "CellLine",
    "SpecificDisease": "Disease",
    "DiseaseClass": "Disease",
    "Modifier": "Disease",
    "CompositeMention": "Disease",
    "Gene": "Gene",
    "Species": "Species",
    "Variant": "Variant",
    "Mutation": "Variant",
}
BIORED_TYPES = {"ChemicalEntity", "DiseaseOrPhenotypicFeature", "GeneOrGeneProduct", "SequenceVariant", "OrganismTaxon", "CellLine"}
_ID_SPLIT = re.compile(r"[,|+]")
_ALNUM = re.compile(r"[^0-9A-Za-z]")
_OFFSET = re.compile(r"-?[0-9]+")
#: A relation type: a word (CID, Association, Positive_Correlation), never a number.
_REL_TYPE = re.compile(r"[A-Za-z][\w-]*")


def split_ids(raw: str, entity_type: str) -> list[str]:
    """The CURIEs of one mention's id column (variant ids are never split)."""
    parts = [raw] if entity_type == "Variant" else _ID_SPLIT.split(raw)
    return [c for c in (to_curie(p, entity_type) for p in parts) if c]


def _guess_type(raw: str) -> str:
    raw = raw.strip()
    if raw.isdigit():
        return "Gene"
    if re.fullmatch(r"(MESH:)?[CD]\d+|OMIM:\d+", raw):
        return "Disease"
    return "Variant"


def read_pubtator(path: str | Path) -> Iterator[Document]:
    """Yield the documents of a PubTator file with their mentions and relations."""
    path = Path(path)
    try:
        handle = open_input(path)
    except OSError as err:
        raise InputError(f"cannot open PubTator file: {err.strerror}", path=str(path)) from err
    with handle:
        try:
            yield from parse_pubtator(handle, str(path))
        except GZIP_ERRORS as err:
            raise gzip_error(path, err) from err
        except UnicodeDecodeError as err:
            raise InputError(f"not UTF-8 text (byte {err.object[err.start:err.start + 1]!r} cannot be decoded); "
                             "convert the file to UTF-8, e.g. with iconv", path=str(path)) from err


def parse_pubtator(lines: Iterable[str], source: str) -> Iterator[Document]:
    """Yield documents from PubTator lines; ``source`` names the input in errors."""
    doc: Document | None = None
    raw_types: dict[str, str] = {}
    pending_relations: list[tuple[int, list[str]]] = []

    def finish() -> Document:
        for line_no, cols in pending_relations:
            doc.relations.append(_relation(doc, cols, raw_types, source, line_no))
        return doc

    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n").lstrip("\ufeff")
        if not line.strip():
            if doc is not None:
                yield finish()
                doc, raw_types, pending_relations = None, {}, []
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a") and "\t" not in head[0]:
            pmid, kind, text = head
            if not valid_pmid(pmid):
                raise InputError(f"PMID {pmid!r} is not a positive whole number; a document starts with PMID|t|title",
                                 path=source, line=line_no)
            if doc is not None and pmid != doc.pmid:
                yield finish()
                doc, raw_types, pending_relations = None, {}, []
            if doc is None:
                doc = Document(pmid=pmid, source=source)
            if kind == "t":
                doc.title = text
            else:
                doc.abstract = text
            continue
        cols = line.split("\t")
        if doc is None or cols[0] != doc.pmid:
            raise InputError(
                "annotation line outside its document (expected PMID|t|title first)", path=source, line=line_no, record=cols[0]
            )
        if len(cols) >= 3 and _OFFSET.fullmatch(cols[1]) and _OFFSET.fullmatch(cols[2]):  # a mention line
            if len(cols) < 6:
                raise InputError(
                    f"mention line with {len(cols)} columns; a mention is PMID, start, end, text, type and ids "
                    "(-1 when not normalised), separated by tabs", path=source, line=line_no, record=doc.pmid)
            doc.mentions.append(_mention(doc, cols, raw_types, source, line_no))
        elif len(cols) >= 4 and _REL_TYPE.fullmatch(cols[1]):
            pending_relations.append((line_no, cols))
        else:
            raise InputError(
                "neither a mention line (PMID, start, end, text, type, ids) nor a relation line (PMID, type, id, id"
                "[, novelty]), tab-separated", path=source, line=line_no, record=doc.pmid)
    if doc is not None:
        yield finish()


def check_span(text: str, start: int, end: int, written: str | None, source: str, line: int | None, pmid: str) -> str:
    """The text at ``start:end``; InputError when the offsets fall outside ``text`` or disagree with ``written``.

    Differences in punctuation and spacing only are accepted (NCBI-disease has one such line):
    the text at the offsets wins.
    """
    if not 0 <= start < end <= len(text):
        raise InputError(
            f"offsets {start}-{end} fall outside the text ({len(text)} characters); fix or remove the annotation",
            path=source, line=line, record=pmid,
        )
    span = text[start:end]
    if written is not None and span != written and _ALNUM.sub("", span) != _ALNUM.sub("", written):
        raise InputError(
            f"mention text {written!r} does not match the text at {start}-{end} ({span!r}); fix the offsets",
            path=source, line=line, record=pmid,
        )
    return span


def register_ids(raw_types: dict[str, str], raw_ids: str, entity_type: str) -> None:
    """Remember the entity type of each bare id of a mention, to type the ids of relation lines."""
    for raw in [raw_ids.strip()] + ([] if entity_type == "Variant" else _ID_SPLIT.split(raw_ids)):
        if raw.strip():
            raw_types.setdefault(raw.strip(), entity_type)


def _mention(doc: Document, cols: list[str], raw_types: dict[str, str], source: str, line_no: int) -> Mention:
    start, end = int(cols[1]), int(cols[2])
    label, raw_ids = cols[4], cols[5]
    entity_type = TYPE_MAP.get(label, label)
    span = check_span(doc.text, start, end, cols[3], source, line_no, doc.pmid)
    register_ids(raw_types, raw_ids, entity_type)
    composite = [t for t in cols[6].split("|") if t] if len(cols) > 6 and cols[6] else []
    return Mention(
        doc_id=doc.pmid, start=start, end=end, text=span, type=entity_type,
        ids=split_ids(raw_ids, entity_type), source_type=label, composite=composite,
    )


def _relation(doc: Document, cols: list[str], raw_types: dict[str, str], source: str, line_no: int) -> Relation:
    return make_relation(
        doc.pmid, cols[1], cols[2], cols[3], cols[4] if len(cols) > 4 else None, raw_types, source, line_no
    )


def make_relation(
    pmid: str, rel_type: str, first: str, second: str, novelty: str | None, raw_types: dict[str, str],
    source: str, line: int | None = None,
) -> Relation:
    """A document-level relation from corpus ids, typed by the document's mentions (``register_ids``)."""
    first, second = first.strip(), second.strip()
    novel = None
    if novelty:
        if novelty not in ("Novel", "No"):
            raise InputError(f"novelty must be Novel or No, not {novelty!r}", path=source, line=line, record=pmid)
        novel = novelty == "Novel"

    def curie(raw: str, default_type: str) -> str:
        entity_type = raw_types.get(raw) or next(
            (raw_types[p] for p in _ID_SPLIT.split(raw) if p in raw_types), None) or default_type
        value = to_curie(raw, entity_type)
        if value is None:
            raise InputError(f"relation names an unnormalised id {raw!r}", path=source, line=line, record=pmid)
        return value

    if rel_type == "CID":
        return Relation(doc_id=pmid, type="CID", subject=curie(first, "Chemical"), object=curie(second, "Disease"))
    return Relation(
        doc_id=pmid, type=rel_type, subject=curie(first, _guess_type(first)),
        object=curie(second, _guess_type(second)), novel=novel,
    )


def format_ids(mention: Mention) -> str:
    """A mention's ids in corpus form: BioRED joins with ``,`` and writes ``-``; others ``|`` and ``-1``."""
    biored = mention.source_type in BIORED_TYPES
    return ("," if biored else "|").join(from_curie(i) for i in mention.ids) or ("-" if biored else "-1")


def write_pubtator(documents: Iterable[Document], out: IO[str]) -> int:
    """Write documents (with their mentions and relations) as PubTator; return the count."""
    count = 0
    for doc in documents:
        out.write(f"{doc.pmid}|t|{doc.title}\n{doc.pmid}|a|{doc.abstract}\n")
        for m in doc.mentions:
            cols = [doc.pmid, str(m.start), str(m.end), m.text, m.source_type or m.type, format_ids(m)]
            if m.composite:
                cols.append("|".join(m.composite))
            out.write("\t".join(cols) + "\n")
        for r in doc.relations:
            cols = [doc.pmid, r.type, from_curie(r.subject), from_curie(r.object)]
            if r.novel is not None:
                cols.append("Novel" if r.novel else "No")
            out.write("\t".join(cols) + "\n")
        out.write("\n")
        count += 1
    return count
