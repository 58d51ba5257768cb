"""Corpus identifiers to CURIEs and back.

Corpora write bare ids whose namespace depends on the entity type (BC5CDR ``D001241``,
BioRED gene ``3172``, NCBI-disease ``OMIM:312080``). Inside litgraph every id is a CURIE.
"""

from __future__ import annotations

import re

#: Ids that mean "not normalised".
UNNORMALISED = {"", "-1", "-"}

_PREFIX_BY_TYPE = {
    "Chemical": "MESH",
    "Disease": "MESH",
    "Gene": "NCBIGene",
    "Species": "NCBITaxon",
    "CellLine": "Cellosaurus",
}
_HAS_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*:")
# A bare prefix that the corpora write in upper case and litgraph writes in its CURIE case.
_PREFIX_CASE = {"MESH": "MESH", "OMIM": "OMIM", "NCBIGENE": "NCBIGene", "NCBITAXON": "NCBITaxon"}
_STRIP = ("MESH:", "NCBIGene:", "NCBITaxon:", "Cellosaurus:", "dbSNP:", "tmVar:")


def to_curie(raw: str, entity_type: str) -> str | None:
    """One corpus id as a CURIE, or None when it means "not normalised".

    Unknown prefixes are kept as written (never mangled).
    """
    raw = raw.strip()
    if raw in UNNORMALISED:
        return None
    if entity_type == "Variant":
        return f"dbSNP:{raw}" if re.fullmatch(r"rs\d+", raw) else f"tmVar:{raw}"
    if _HAS_PREFIX.match(raw):
        prefix, _, local = raw.partition(":")
        return f"{_PREFIX_CASE.get(prefix.upper(), prefix)}:{local}"
    prefix = _PREFIX_BY_TYPE.get(entity_type)
    return f"{prefix}:{raw}" if prefix else raw


def from_curie(curie: str) -> str:
    """The bare corpus form of a CURIE (``MESH:D001241`` -> ``D001241``)."""
    for prefix in _STRIP:
        if curie.startswith(prefix):
            return curie[len(prefix):]
    return curie
