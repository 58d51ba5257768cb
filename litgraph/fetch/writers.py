"""Record writers for ``--format jsonl|pubtator|bioc``, streaming to a binary handle.

Every writer writes a header, one chunk per record and a footer, so an output can be cut back
to a record boundary and continued (the CLI resumes interrupted online fetches that way).
PubTator and BioC cannot express deletions: those are counted in ``skipped`` and not written.
"""

from __future__ import annotations

import io
from typing import IO

from connectors.bioc import BIOC_XML_FOOTER, bioc_document_xml, bioc_xml_header
from connectors.pubtator import write_pubtator
from litgraph.records import Deletion, Record, to_json

OUTPUT_FORMATS = ("jsonl", "pubtator", "bioc")


class RecordWriter:
    """Writes records in one output format; ``written`` and ``skipped`` count them."""

    def __init__(self, fmt: str, out: IO[bytes]) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        self.fmt, self.out = fmt, out
        self.written = self.skipped = 0

    def header(self) -> None:
        """Write what comes before the first record."""
        if self.fmt == "bioc":
            self.out.write(bioc_xml_header())

    def write(self, record: Record) -> None:
        """Write one record (deletions only in jsonl)."""
        if self.fmt == "jsonl":
            self.out.write(to_json(record).encode("utf-8") + b"\n")
        elif isinstance(record, Deletion):
            self.skipped += 1
            return
        elif self.fmt == "pubtator":
            text = io.StringIO()
            write_pubtator([record], text)
            self.out.write(text.getvalue().encode("utf-8"))
        else:
            self.out.write(bioc_document_xml(record))
        self.written += 1

    def footer(self) -> None:
        """Write what comes after the last record."""
        if self.fmt == "bioc":
            self.out.write(BIOC_XML_FOOTER)
