"""PubMed XML (efetch output, annual baseline and daily update ``.xml.gz``): a streaming parser.

Memory stays constant: a pull parser (``litgraph.connectors.files.XmlElements``) hands over one
``PubmedArticle`` at a time and every finished element is cleared and unlinked from the tree. The DTD
named in the DOCTYPE is never loaded or fetched. ``DeleteCitation`` becomes one :class:`Deletion` per PMID.

A file that cannot be read (corrupt gzip, malformed XML, MD5 mismatch, an E-utilities error page)
raises :class:`InputError`. A record that cannot be turned into a :class:`Document` inside an
otherwise good file is logged with its PMID and passed to ``on_error(pmid, reason)``.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from pathlib import Path
from typing import IO, Callable, Iterator

from lxml import etree

from litgraph.connectors.files import GZIP_ERRORS, XmlElements
from litgraph.errors import InputError
from litgraph.records import AbstractSection, Deletion, Document, MeshHeading, Record

log = logging.getLogger(__name__)

#: ``on_error(pmid, reason)``: called for every record that could not be parsed.
OnError = Callable[[str, str], None]

ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
ROOT_TAGS = ("PubmedArticleSet", "PubmedBookArticleSet")
_YEAR = re.compile(r"(1[6-9]|20)\d\d")
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


class RecordError(ValueError):
    """One record of a good file could not be parsed."""


def check_md5(path: str | Path) -> bool:
    """Compare ``path`` with ``path.md5`` (NLM's ``MD5(name)= hex`` format); False when there is no ``.md5``.

    Raises InputError on a mismatch or an unreadable ``.md5`` file.
    """
    path = Path(path)
    md5_file = path.with_name(path.name + ".md5")
    if not md5_file.exists():
        return False
    match = _MD5.search(md5_file.read_text(encoding="ascii", errors="replace"))
    if not match:
        raise InputError("no MD5 checksum found in the .md5 file; re-download it", path=str(md5_file))
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest().lower() != match.group(1).lower():
        raise InputError(
            f"MD5 mismatch (file {digest.hexdigest()}, expected {match.group(1).lower()}): the file is corrupt "
            "or incomplete; download it again",
            path=str(path),
        )
    return True


def open_xml(path: str | Path) -> IO[bytes]:
    """A binary handle on an XML file, decompressing gzip (by content, not by name)."""
    path = Path(path)
    try:
        handle = open(path, "rb")
    except OSError as err:
        raise InputError(f"cannot open PubMed XML file: {err.strerror}", path=str(path)) from err
    if handle.read(2) == b"\x1f\x8b":
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    handle.seek(0)
    return handle


def read_pubmed_xml(path: str | Path, *, on_error: OnError | None = None, verify_md5: bool = True) -> Iterator[Record]:
    """Stream the Documents and Deletions of a PubMed XML(.gz) file, checking its ``.md5`` first."""
    path = Path(path)
    if verify_md5:
        check_md5(path)
    handle = open_xml(path)
    try:
        yield from parse_pubmed_xml(handle, str(path), on_error=on_error)
    finally:
        handle.close()


def parse_pubmed_xml(handle: IO[bytes], source: str, *, on_error: OnError | None = None) -> Iterator[Record]:
    """Stream records from a binary handle of PubMed XML; ``source`` names the input in errors and records.
    When the file breaks off, the records before the break are yielded, then the error is raised."""
    elements = XmlElements(handle, ARTICLE_TAGS, load_dtd=False, no_network=True, resolve_entities=False,
                           huge_tree=True, remove_comments=True)
    last = None
    try:
        for elem in elements:
            if elem.tag == "DeleteCitation":
                for pmid in elem.iterfind("PMID"):
                    yield Deletion(pmid=(pmid.text or "").strip(), source=source)
            else:
                record = _safe_document(elem, source, on_error)
                if record is not None:
                    last = record.pmid
                    yield record
    except etree.XMLSyntaxError as err:
        after = f" after PMID {last}" if last else ""
        raise InputError(
            f"malformed XML{after}: {err.msg}; the file is truncated or not PubMed XML, download it again",
            path=source, line=err.lineno,
        ) from err
    except GZIP_ERRORS as err:
        after = f" after PMID {last}" if last else ""
        raise InputError(f"corrupt or truncated gzip data{after} ({err}); download the file again", path=source) from err
    if elements.root is None or elements.root.tag not in ROOT_TAGS:
        raise InputError(_not_pubmed(elements.root), path=source)


def _not_pubmed(root) -> str:
    if root is None:
        return "empty XML document; expected a PubmedArticleSet"
    errors = [" ".join(e.itertext()).strip() for e in root.iter("ERROR", "Error")]
    if errors:
        return f"E-utilities answered with an error instead of PubMed XML: {'; '.join(errors)}; check the query or PMIDs"
    return f"root element <{root.tag}> is not PubMed XML (expected <PubmedArticleSet>)"


def _safe_document(elem, source: str, on_error: OnError | None) -> Document | None:
    try:
        return article_to_document(elem, source)
    except (ValueError, TypeError, AttributeError) as err:  # RecordError or a malformed field
        pmid = (elem.findtext(".//PMID") or "?").strip()
        log.warning("%s: PMID %s skipped: %s", source, pmid, err)
        if on_error is not None:
            on_error(pmid, str(err))
        return None


def _text(elem) -> str:
    """All text inside an element (inline markup and MathML flattened), whitespace collapsed."""
    if elem is None:
        return ""
    return " ".join("".join(elem.itertext()).split())


def _kids(elem) -> dict:
    """An element's children by tag (the first of each tag): one pass instead of many ``find`` calls."""
    kids: dict = {}
    if elem is not None:
        for child in elem:
            kids.setdefault(child.tag, child)
    return kids


def article_to_document(elem, source: str | None = None) -> Document:
    """One ``PubmedArticle`` (or ``PubmedBookArticle``) element as a Document."""
    top = _kids(elem)
    citation = top.get("MedlineCitation")
    if citation is None:
        citation = top.get("BookDocument")
    if citation is None:
        raise RecordError(f"<{elem.tag}> has neither MedlineCitation nor BookDocument")
    cit = _kids(citation)
    pmid_el = cit.get("PMID")
    pmid = (pmid_el.text or "").strip() if pmid_el is not None else ""
    if not pmid.isdigit():
        raise RecordError(f"missing or non-numeric PMID {pmid!r}")
    version_raw = pmid_el.get("Version", "1")
    if not version_raw.isdigit():
        raise RecordError(f"PMID Version {version_raw!r} is not a number")
    article = cit.get("Article", citation)  # a book chapter has no Article
    art = cit if article is citation else _kids(article)
    book = _kids(art.get("Book"))
    title = _text(art.get("ArticleTitle")) or _text(book.get("BookTitle")) or _text(art.get("VernacularTitle"))
    abstract, sections = _abstract(art.get("Abstract"))
    pub_types = [_plain(p) for p in art.get("PublicationTypeList", ())]
    if elem.tag == "PubmedBookArticle":
        pub_types = pub_types or ["Book"]
    retracted = "Retracted Publication" in pub_types or any(
        c.get("RefType") == "RetractionIn" for c in cit.get("CommentsCorrectionsList", ()))
    journal = _kids(art.get("Journal"))
    pubmed_data = _kids(top.get("PubmedData"))
    return Document(
        pmid=pmid,
        title=title,
        abstract=abstract,
        sections=sections,
        journal=_plain(journal.get("Title")) or _plain(journal.get("ISOAbbreviation")) or _publisher(book) or None,
        year=_year(journal, book, art, pubmed_data),
        publication_types=pub_types,
        mesh_terms=_mesh(cit.get("MeshHeadingList")),
        doi=_doi(pubmed_data, article),
        version=int(version_raw),
        revised=_date(cit.get("DateRevised")),
        retracted=retracted,
        source=source,
    )


def _abstract(abstract_el) -> tuple[str, list[AbstractSection]]:
    """Abstract text with ``LABEL: `` prefixes kept, and the labelled sections' offsets."""
    if abstract_el is None:
        return "", []
    parts, sections, pos = [], [], 0
    for node in abstract_el:
        if node.tag != "AbstractText":
            continue
        text = _text(node)
        label = (node.get("Label") or "").strip()
        if not text and not label:
            continue
        piece = f"{label}: {text}" if label else text
        if parts:
            pos += 1
        if label:
            sections.append(AbstractSection(label=label, start=pos, end=pos + len(piece), category=node.get("NlmCategory")))
        parts.append(piece)
        pos += len(piece)
    return " ".join(parts), sections


def _publisher(book: dict) -> str:
    return _plain(_kids(book.get("Publisher")).get("PublisherName"))


def _first_year(date_el) -> int | None:
    """The year of a ``PubDate``-like element: ``Year``, else the first year in ``MedlineDate``."""
    if date_el is None:
        return None
    for child in date_el:
        if child.tag in ("Year", "MedlineDate"):
            match = _YEAR.search(child.text or "")
            if match:
                return int(match.group(0))
    return None


def _year(journal: dict, book: dict, art: dict, pubmed_data: dict) -> int | None:
    issue = _kids(journal.get("JournalIssue"))
    for date in (issue.get("PubDate"), book.get("PubDate"), art.get("ArticleDate")):
        year = _first_year(date)
        if year:
            return year
    for date in pubmed_data.get("History", ()):
        if date.get("PubStatus") in ("pubmed", "entrez"):
            year = _first_year(date)
            if year:
                return year
    return None


def _date(date_el) -> str | None:
    """``<Year><Month><Day>`` as an ISO date (month names and missing parts allowed)."""
    parts = {c.tag: (c.text or "").strip() for c in date_el} if date_el is not None else {}
    year = parts.get("Year", "")
    if not year.isdigit():
        return None
    month = parts.get("Month") or "1"
    month_no = int(month) if month.isdigit() else _MONTHS.get(month[:3].lower(), 1)
    day = parts.get("Day") or "1"
    return f"{int(year):04d}-{month_no:02d}-{int(day) if day.isdigit() else 1:02d}"


def _plain(elem) -> str:
    """The text of an element that holds no markup (MeSH names, journal titles)."""
    return (elem.text or "").strip() if elem is not None else ""


def _mesh(heading_list) -> list[MeshHeading]:
    headings = []
    for heading in heading_list if heading_list is not None else ():
        descriptor, qualifiers = None, []
        for child in heading:
            if child.tag == "DescriptorName":
                descriptor = child
            elif child.tag == "QualifierName":
                qualifiers.append(child)
        if descriptor is None:
            continue
        ui = descriptor.get("UI")
        headings.append(MeshHeading(
            id=f"MESH:{ui}" if ui else "",
            name=_plain(descriptor),
            major=descriptor.get("MajorTopicYN") == "Y" or any(q.get("MajorTopicYN") == "Y" for q in qualifiers),
            qualifiers=[_plain(q) for q in qualifiers],
        ))
    return headings


def _doi(pubmed_data: dict, article) -> str | None:
    for node in pubmed_data.get("ArticleIdList", ()):
        if node.get("IdType") == "doi" and (node.text or "").strip():
            return node.text.strip()
    for node in article:
        if node.tag == "ELocationID" and node.get("EIdType") == "doi" and (node.text or "").strip():
            return node.text.strip()
    return None
