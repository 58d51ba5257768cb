"""BioC XML and BioC JSON: reader and writer.

Reading: passages are laid at their offsets (title first, then the abstract one space later), so
annotation offsets index ``Document.text`` as in PubTator. Annotation ids come from the infon
``identifier`` (BioRED) or ``MESH`` (BC5CDR) and are split like PubTator ids. BC5CDR repeats each
composite mention as ``CompositeRole=IndividualMention`` annotations (often with several
``<location>`` elements): these are not mentions of their own; their texts become the composite
mention's ``composite`` list, so the counts equal the PubTator file's. A discontinuous annotation
that is not an individual mention becomes one mention spanning all its locations. The external
``BioC.dtd`` that the XML names is never loaded or fetched. Every location is checked against
the passage text; a mismatch is an InputError naming file, PMID and line.

Writing keeps what PubTator holds (types, ids, composite texts, relation novelty), so
PubTator -> BioC -> PubTator gives the same documents.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from lxml import etree

from litgraph.connectors.pubtator import BIORED_TYPES, TYPE_MAP, check_span, format_ids, make_relation, register_ids, split_ids
from litgraph.connectors.ids import from_curie
from litgraph.connectors.files import GZIP_ERRORS, XmlElements, gzip_error, open_input
from litgraph.errors import InputError
from litgraph.records import Document, Mention, Relation

#: Infon keys that hold an annotation's concept ids, in order of preference.
ID_KEYS = ("identifier", "Identifier", "MESH", "MeSH", "NCBI Gene", "NCBI Taxonomy")


# ----------------------------------------------------------------------------------------- reading


def read_bioc_xml(path: str | Path) -> Iterator[Document]:
    """Stream the documents of a BioC XML file (one ``<document>`` in memory at a time)."""
    path = Path(path)
    source = str(path)
    try:
        handle = open_input(path, text=False)
    except OSError as err:
        raise InputError(f"cannot open BioC XML file: {err.strerror}", path=source) from err
    with handle:
        elements = XmlElements(handle, "document", load_dtd=False, no_network=True, resolve_entities=False,
                               huge_tree=True)
        try:
            for elem in elements:
                yield _document(_xml_document(elem, source), source, elem.sourceline)
        except GZIP_ERRORS as err:
            raise gzip_error(source, err) from err
        except etree.XMLSyntaxError as err:
            raise InputError(f"malformed BioC XML: {err.msg}; fix or re-download the file", path=source, line=err.lineno) from err
        if elements.root is None or elements.root.tag != "collection":
            raise InputError("not BioC XML: the root element must be <collection>", path=source)


def _infons(elem) -> dict[str, str]:
    return {i.get("key"): (i.text or "") for i in elem.iterfind("infon")}


def _xml_document(elem, source: str | None = None) -> dict[str, Any]:
    """A ``<document>`` element in the shape of a BioC JSON document (plus source lines)."""

    def annotation(a):
        return {
            "id": a.get("id"), "infons": _infons(a), "text": a.findtext("text"), "line": a.sourceline,
            "locations": [{"offset": int(loc.get("offset")), "length": int(loc.get("length"))} for loc in a.iterfind("location")],
        }

    def relation(r):
        return {
            "id": r.get("id"), "infons": _infons(r), "line": r.sourceline,
            "nodes": [{"refid": n.get("refid"), "role": n.get("role")} for n in r.iterfind("node")],
        }

    try:
        return {
            "id": elem.findtext("id"),
            "passages": [
                {
                    "infons": _infons(p), "offset": int(p.findtext("offset")), "text": p.findtext("text") or "",
                    "annotations": [annotation(a) for a in p.iterfind("annotation")],
                    "relations": [relation(r) for r in p.iterfind("relation")],
                }
                for p in elem.iterfind("passage")
            ],
            "relations": [relation(r) for r in elem.iterfind("relation")],
        }
    except (TypeError, ValueError) as err:
        raise InputError(f"a passage offset or location is not a number ({err}); fix the offset attributes",
                         path=source, line=elem.sourceline, record=elem.findtext("id")) from err


def read_bioc_json(path: str | Path) -> Iterator[Document]:
    """The documents of a BioC JSON file (``{"documents": [...]}`` or a list of collections)."""
    path = Path(path)
    source = str(path)
    try:
        with open_input(path) as handle:
            data = json.load(handle)
    except GZIP_ERRORS as err:
        raise gzip_error(path, err) from err
    except OSError as err:
        raise InputError(f"cannot open BioC JSON file: {err.strerror}", path=source) from err
    except UnicodeDecodeError as err:
        raise InputError("not UTF-8 text; convert the file to UTF-8 (e.g. with iconv)", path=source) from err
    except json.JSONDecodeError as err:
        raise InputError(f"malformed JSON: {err.msg}; fix or re-download the file", path=source, line=err.lineno) from err
    collections = data if isinstance(data, list) else [data]
    for collection in collections:
        if not isinstance(collection, dict) or not isinstance(collection.get("documents"), list):
            raise InputError("not BioC JSON: expected a collection object with a 'documents' list", path=source)
        for doc in collection["documents"]:
            yield _document(doc, source, None)


#: The shape a BioC document must have, for the error message of one that does not.
_SHAPE = ("a BioC document is an object with an 'id' and a list of 'passages', each with a whole-number 'offset', "
          "a 'text' and lists of 'annotations' (with 'locations' of whole-number 'offset' and 'length') and 'relations'")


def _document(data: dict[str, Any], source: str, line: int | None) -> Document:
    """A BioC document (JSON shape) as a Document; InputError naming the file and document when its shape is wrong."""
    record = data.get("id") if isinstance(data, dict) else None
    if not isinstance(data, dict):
        raise InputError(f"a document is a {type(data).__name__}, not an object; {_SHAPE}", path=source, line=line)
    try:
        return _parse_document(data, source, line)
    except InputError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        what = f"missing {err}" if isinstance(err, KeyError) else str(err)
        raise InputError(f"malformed BioC document ({what}); {_SHAPE}", path=source, line=line,
                         record=str(record) if record is not None else None) from err


def _parse_document(data: dict[str, Any], source: str, line: int | None) -> Document:
    """A BioC document (JSON shape) as a Document with mentions and relations."""
    pmid = str(data.get("id") or "").strip()
    if not pmid:
        raise InputError("document without an <id>", path=source, line=line)
    passages = data.get("passages", [])
    if not isinstance(passages, list) or not all(isinstance(p, dict) for p in passages):
        raise TypeError("'passages' must be a list of objects")
    for passage in passages:
        if not isinstance(passage.get("text") or "", str):
            raise TypeError(f"passage text must be text, not {type(passage.get('text')).__name__}")
        for name in ("annotations", "relations"):
            if not isinstance(passage.get(name, []), list) or not all(isinstance(a, dict) for a in passage.get(name, [])):
                raise TypeError(f"'{name}' of a passage must be a list of objects")
    if not isinstance(data.get("relations", []), list):
        raise TypeError("'relations' must be a list of objects")
    passages = sorted(passages, key=lambda p: _whole(p["offset"], "passage offset"))
    if not passages:
        return Document(pmid=pmid, source=source)
    text = ""
    for passage in passages:
        offset = int(passage["offset"])
        if offset < len(text):
            raise InputError(f"passage at offset {offset} overlaps the previous passage", path=source, line=line, record=pmid)
        text += " " * (offset - len(text)) + (passage.get("text") or "")
    title = passages[0].get("text") or ""
    if int(passages[0]["offset"]) != 0:
        raise InputError("the first passage (title) must start at offset 0", path=source, line=line, record=pmid)
    doc = Document(pmid=pmid, title=title, abstract=text[len(title) + 1:], source=source)
    full = doc.text
    raw_types: dict[str, str] = {}
    by_id: dict[str, Mention] = {}
    composite: Mention | None = None
    for passage in passages:
        for ann in passage.get("annotations", []):
            infons = ann.get("infons") or {}
            ann_line = ann.get("line", line)
            role = infons.get("CompositeRole")
            if role == "IndividualMention":
                if composite is not None and ann.get("text"):
                    composite.composite.append(ann["text"])
                continue
            mention = _mention(doc, full, ann, infons, raw_types, source, ann_line)
            doc.mentions.append(mention)
            by_id[str(ann.get("id"))] = mention
            composite = mention if role == "CompositeMention" else None
    for rel in data.get("relations", []) + [r for p in passages for r in p.get("relations", [])]:
        doc.relations.append(_relation(pmid, rel, raw_types, by_id, source, rel.get("line", line)))
    return doc


def _mention(doc: Document, full: str, ann: dict, infons: dict, raw_types: dict[str, str], source: str, line) -> Mention:
    locations = ann.get("locations") or []
    if not locations:
        raise InputError(f"annotation {ann.get('id')} has no location", path=source, line=line, record=doc.pmid)
    if not isinstance(locations, list) or not all(isinstance(loc, dict) for loc in locations):
        raise InputError(f"annotation {ann.get('id')}: 'locations' must be a list of objects with offset and length",
                         path=source, line=line, record=doc.pmid)
    spans = [(_whole(loc["offset"], "location offset"), _whole(loc["offset"], "location offset") + _whole(loc["length"], "location length"))
             for loc in locations]
    for start, end in spans:
        check_span(full, start, end, ann.get("text") if len(spans) == 1 else None, source, line, doc.pmid)
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    label = infons.get("type", "")
    entity_type = TYPE_MAP.get(label, label)
    raw_ids = next((infons[k] for k in ID_KEYS if k in infons), "")
    register_ids(raw_types, raw_ids, entity_type)
    return Mention(
        doc_id=doc.pmid, start=start, end=end, text=full[start:end], type=entity_type,
        ids=split_ids(raw_ids, entity_type), source_type=label,
        score=float(infons["score"]) if infons.get("score") else None, model=infons.get("model") or None,
    )


def _whole(value, what: str) -> int:
    """A BioC offset or length: a whole number (``12`` or ``"12"``), never null, a fraction or a word."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
        raise ValueError(f"{what} {value!r} is not a whole number")
    return int(value)


def _relation(pmid: str, rel: dict, raw_types: dict[str, str], by_id: dict[str, Mention], source: str, line) -> Relation:
    infons = rel.get("infons") or {}
    if "relation" in infons and "Chemical" in infons:  # BC5CDR
        relation = make_relation(pmid, infons["relation"], infons["Chemical"], infons["Disease"], None, raw_types, source, line)
    elif "entity1" in infons:  # BioRED
        relation = make_relation(
            pmid, infons.get("type", ""), infons["entity1"], infons["entity2"], infons.get("novel"), raw_types, source, line
        )
    else:  # generic BioC: nodes point at annotations
        nodes = [by_id.get(str(n.get("refid"))) for n in rel.get("nodes", [])]
        if len(nodes) != 2 or not all(n is not None and n.ids for n in nodes):
            raise InputError(f"relation {rel.get('id')} needs two nodes pointing at normalised annotations",
                             path=source, line=line, record=pmid)
        relation = Relation(doc_id=pmid, type=infons.get("type", "relation"), subject=nodes[0].ids[0], object=nodes[1].ids[0])
    if infons.get("score"):
        relation.score = float(infons["score"])
    relation.model = infons.get("model") or None
    return relation


# ----------------------------------------------------------------------------------------- writing


def document_to_bioc(doc: Document) -> dict[str, Any]:
    """A Document as a BioC JSON document (title and abstract passages, annotations, relations)."""
    split = len(doc.title)
    passages_anns: tuple[list, list] = ([], [])
    count = 0
    for m in doc.mentions:
        anns = passages_anns[0 if m.start < split else 1]
        infons = {"type": m.source_type or m.type, _id_key(m): format_ids(m)}
        if m.composite:
            infons["CompositeRole"] = "CompositeMention"
        if m.score is not None:
            infons["score"] = f"{m.score:.4f}"
        if m.model:
            infons["model"] = m.model
        anns.append({"id": str(count), "infons": infons, "text": m.text,
                     "locations": [{"offset": m.start, "length": m.end - m.start}]})
        count += 1
        for i, part in enumerate(m.composite):  # texts only: a PubTator composite has no part offsets
            part_ids = [m.ids[i]] if len(m.ids) == len(m.composite) else []
            anns.append({
                "id": str(count),
                "infons": {"type": m.source_type or m.type, "CompositeRole": "IndividualMention",
                           _id_key(m): "|".join(from_curie(x) for x in part_ids) or "-1"},
                "text": part, "locations": [],
            })
            count += 1
    relations = []
    for r in doc.relations:
        if r.type == "CID":
            infons = {"relation": "CID", "Chemical": from_curie(r.subject), "Disease": from_curie(r.object)}
        else:
            infons = {"entity1": from_curie(r.subject), "entity2": from_curie(r.object), "type": r.type}
            if r.novel is not None:
                infons["novel"] = "Novel" if r.novel else "No"
        if r.score is not None:
            infons["score"] = f"{r.score:.4f}"
        if r.model:
            infons["model"] = r.model
        relations.append({"id": f"R{len(relations)}", "infons": infons, "nodes": []})
    return {
        "id": doc.pmid,
        "infons": {},
        "passages": [
            {"infons": {"type": "title"}, "offset": 0, "text": doc.title, "annotations": passages_anns[0], "relations": []},
            {"infons": {"type": "abstract"}, "offset": split + 1, "text": doc.abstract, "annotations": passages_anns[1],
             "relations": []},
        ],
        "relations": relations,
    }


def _id_key(m: Mention) -> str:
    return "identifier" if m.source_type in BIORED_TYPES else "MESH" if m.type in ("Chemical", "Disease") else "identifier"


def _infon_elements(parent, infons: dict[str, str]) -> None:
    for key, value in infons.items():
        etree.SubElement(parent, "infon", key=key).text = value


def bioc_document_xml(doc: Document) -> bytes:
    """One ``<document>`` element of BioC XML, serialised."""
    data = document_to_bioc(doc)
    root = etree.Element("document")
    etree.SubElement(root, "id").text = data["id"]
    for p in data["passages"]:
        passage = etree.SubElement(root, "passage")
        _infon_elements(passage, p["infons"])
        etree.SubElement(passage, "offset").text = str(p["offset"])
        etree.SubElement(passage, "text").text = p["text"]
        for a in p["annotations"]:
            ann = etree.SubElement(passage, "annotation", id=a["id"])
            _infon_elements(ann, a["infons"])
            for loc in a["locations"]:
                etree.SubElement(ann, "location", offset=str(loc["offset"]), length=str(loc["length"]))
            etree.SubElement(ann, "text").text = a["text"]
    for r in data["relations"]:
        _infon_elements(etree.SubElement(root, "relation", id=r["id"]), r["infons"])
    return etree.tostring(root, encoding="utf-8") + b"\n"


def bioc_xml_header(source: str = "litgraph") -> bytes:
    """The start of a BioC XML collection, up to the first ``<document>``."""
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE collection SYSTEM \"BioC.dtd\">\n<collection>"
        f"<source>{source}</source><date>{datetime.date.today().isoformat()}</date><key>BioC.key</key>\n"
    ).encode("utf-8")


BIOC_XML_FOOTER = b"</collection>\n"


def write_bioc_xml(documents: Iterable[Document], out: IO[bytes]) -> int:
    """Write documents as one BioC XML collection to a binary stream; return the count."""
    out.write(bioc_xml_header())
    count = 0
    for doc in documents:
        out.write(bioc_document_xml(doc))
        count += 1
    out.write(BIOC_XML_FOOTER)
    return count


def write_bioc_json(documents: Iterable[Document], out: IO[str]) -> int:
    """Write documents as one BioC JSON collection to a text stream (streamed); return the count."""
    out.write(json.dumps({"source": "litgraph", "date": datetime.date.today().isoformat(), "key": "BioC.key", "infons": {}})[:-1])
    out.write(', "documents": [\n')
    count = 0
    for doc in documents:
        if count:
            out.write(",\n")
        out.write(json.dumps(document_to_bioc(doc), ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count
