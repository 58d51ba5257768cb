"""Read annotated documents from PubTator, BioC XML or BioC JSON, chosen by the file's content."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from litgraph.errors import InputError
from litgraph.records import Document


def sniff_format(path: str | Path) -> str:
    """``pubtator``, ``bioc-xml`` or ``bioc-json``, from the first non-blank character of the file."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as err:
        raise InputError(f"cannot open annotated file: {err.strerror}", path=str(path)) from err
    if head.startswith(b"<"):
        return "bioc-xml"
    if head.startswith((b"{", b"[")):
        return "bioc-json"
    return "pubtator"


def read_annotated(path: str | Path) -> Iterator[Document]:
    """Stream the documents of an annotated corpus file, whatever its format."""
    fmt = sniff_format(path)
    if fmt == "pubtator":
        from connectors.pubtator import read_pubtator

        return read_pubtator(path)
    from connectors import bioc

    return bioc.read_bioc_xml(path) if fmt == "bioc-xml" else bioc.read_bioc_json(path)
