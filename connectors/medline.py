"""MEDLINE text records (E-utilities ``rettype=medline``, PubMed "Save as MEDLINE") via ``Bio.Medline``.

MEDLINE text carries no MeSH descriptor UIs, so ``MeshHeading.id`` is empty for these records.
Structured abstracts keep their ``LABEL:`` prefixes; labelled sections are found from the
capitalised labels that start the abstract or follow a sentence end.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Iterator

from Bio import Medline

from litgraph.connectors.pubmed_xml import OnError
from litgraph.connectors.files import GZIP_ERRORS, gzip_error, open_input
from litgraph.errors import InputError
from litgraph.records import AbstractSection, Document, MeshHeading

log = logging.getLogger(__name__)

_YEAR = re.compile(r"(1[6-9]|20)\d\d")
_LABEL = re.compile(r"(?:^|(?<=[.?!] ))([A-Z][A-Z0-9 ,&/()-]{2,40}): ")


def read_medline(path: str | Path, *, on_error: OnError | None = None) -> Iterator[Document]:
    """Stream the Documents of a MEDLINE text file."""
    path = Path(path)
    try:
        handle = open_input(path)
    except OSError as err:
        raise InputError(f"cannot open MEDLINE file: {err.strerror}", path=str(path)) from err
    with handle:
        number = 0
        try:
            for number, record in enumerate(Medline.parse(handle), start=1):
                pmid = str(record.get("PMID", "")).strip()
                if not pmid.isdigit():
                    reason = f"record {number} has no numeric PMID field"
                    log.warning("%s: %s; skipped", path, reason)
                    if on_error is not None:
                        on_error(pmid or "?", reason)
                    continue
                yield medline_to_document(record, str(path))
        except GZIP_ERRORS as err:
            raise gzip_error(path, err) from err
        except UnicodeDecodeError as err:
            raise InputError(f"not UTF-8 text (in or after record {number + 1}); convert the file to UTF-8, e.g. "
                             "with iconv", path=str(path)) from err


def medline_to_document(record: dict, source: str | None = None) -> Document:
    """One ``Bio.Medline.Record`` as a Document."""
    abstract = " ".join(str(record.get("AB", "")).split())
    pub_types = list(record.get("PT", []))
    doi = next((a.rsplit(" ", 1)[0] for a in record.get("AID", []) if a.endswith("[doi]")), None)
    year = _YEAR.search(record.get("DP", ""))
    revised = record.get("LR", "")
    return Document(
        pmid=record["PMID"].strip(),
        title=" ".join(str(record.get("TI", "")).split()),
        abstract=abstract,
        sections=_sections(abstract),
        journal=record.get("JT") or record.get("TA"),
        year=int(year.group(0)) if year else None,
        publication_types=pub_types,
        mesh_terms=[_heading(h) for h in record.get("MH", [])],
        doi=doi,
        revised=f"{revised[:4]}-{revised[4:6]}-{revised[6:8]}" if len(revised) == 8 and revised.isdigit() else None,
        retracted="Retracted Publication" in pub_types or bool(record.get("RIN")),
        source=source,
    )


def _heading(raw: str) -> MeshHeading:
    """``*Databases, Protein`` or ``Computational Biology/*methods`` as a MeshHeading."""
    name, *qualifiers = raw.split("/")
    return MeshHeading(id="", name=name.lstrip("*"), major="*" in raw, qualifiers=[q.lstrip("*") for q in qualifiers])


def _sections(abstract: str) -> list[AbstractSection]:
    starts = [(m.start(1), m.group(1)) for m in _LABEL.finditer(abstract)]
    if not starts or starts[0][0] != 0:
        return []
    ends = [s for s, _ in starts[1:]] + [len(abstract) + 1]
    return [AbstractSection(label=label, start=start, end=end - 1) for (start, label), end in zip(starts, ends)]
