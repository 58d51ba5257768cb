"""Named annotated corpora (``bc5cdr:train``, ``biored:dev``, ``ncbi-disease:test``) and corpus files.

A name resolves inside the corpora folder (``Settings.corpora``, laid out like
``bc5cdr/``, ``biored/``, ``ncbi_disease/``). When a file is missing and the network is up,
the official NCBI release is downloaded into that folder. Any path to a PubTator, BioC XML or
BioC JSON file works in place of a name.
"""

from __future__ import annotations

import io
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from litgraph.errors import InputError
from litgraph.records import Document
from litgraph.settings import Settings

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class CorpusSpec:
    folder: str
    files: dict[str, str]  # split -> file name inside folder
    url: str  # official release archive
    annotates: tuple[str, ...]  # entity types the corpus annotates
    relation_types: tuple[str, ...]
    #: its guideline relates the most specific disease the text supports (BC5CDR), so a relation to a broader disease
    #: is not annotated beside one of the same chemical to a narrower disease under it
    most_specific: bool = False


CORPORA = {
    "bc5cdr": CorpusSpec(
        "bc5cdr",
        {"train": "CDR_TrainingSet.PubTator.txt", "dev": "CDR_DevelopmentSet.PubTator.txt", "test": "CDR_TestSet.PubTator.txt"},
        "https://ftp.ncbi.nlm.nih.gov/pub/lu/BC5CDR/CDR_Data.zip",
        ("Chemical", "Disease"),
        ("CID",),
        most_specific=True,
    ),
    "biored": CorpusSpec(
        "biored",
        {"train": "Train.PubTator", "dev": "Dev.PubTator", "test": "Test.PubTator"},
        "https://ftp.ncbi.nlm.nih.gov/pub/lu/BioRED/BIORED.zip",
        ("Chemical", "Disease", "Gene", "Variant", "Species", "CellLine"),
        ("Association", "Positive_Correlation", "Negative_Correlation", "Bind", "Cotreatment", "Comparison",
         "Drug_Interaction", "Conversion"),
    ),
    "ncbi-disease": CorpusSpec(
        "ncbi_disease",
        {"train": "NCBItrainset_corpus.txt", "dev": "NCBIdevelopset_corpus.txt", "test": "NCBItestset_corpus.txt"},
        "https://www.ncbi.nlm.nih.gov/CBBresearch/Dogan/DISEASE/NCBI_corpus.zip",
        ("Disease",),
        (),
    ),
}


@dataclass(frozen=True)
class CorpusRef:
    """A resolved corpus: the file to read and what it annotates (None when unknown, e.g. a bare file)."""

    name: str
    path: Path
    spec: CorpusSpec | None


def resolve(name: str, settings: Settings | None = None, download: bool = True) -> CorpusRef:
    """Resolve a corpus name or file path to a file, downloading the release when it is missing."""
    settings = settings or Settings.from_env()
    corpus, sep, split = name.partition(":")
    if sep and corpus in CORPORA:
        spec = CORPORA[corpus]
        if split not in SPLITS:
            raise InputError(f"unknown split {split!r} of {corpus}; use one of {', '.join(SPLITS)}")
        path = Path(settings.corpora) / spec.folder / spec.files[split]
        if not path.exists():
            if not download:
                raise InputError(f"{path} is missing; set LITGRAPH_CORPORA / --corpora to a folder holding {spec.folder}/")
            _download(spec, path.parent)
            if not path.exists():
                raise InputError(f"{spec.url} has no {spec.files[split]}; place the file at {path}")
        return CorpusRef(name, path, spec)
    path = Path(name).expanduser()
    if path.exists():
        return CorpusRef(name, path, _spec_for_file(path))
    raise InputError(
        f"{name!r} is neither a corpus name ({', '.join(f'{c}:train|dev|test' for c in CORPORA)}) nor an existing file"
    )


def _spec_for_file(path: Path) -> CorpusSpec | None:
    for spec in CORPORA.values():
        if path.name in spec.files.values():
            return spec
    return None


def _download(spec: CorpusSpec, folder: Path) -> None:
    """Fetch the official archive and extract the corpus files it holds into ``folder``."""
    try:
        with urllib.request.urlopen(spec.url, timeout=60) as response:
            payload = response.read()
    except OSError as err:
        raise InputError(
            f"corpus file missing under {folder} and download of {spec.url} failed ({err}); "
            "set LITGRAPH_CORPORA / --corpora to a folder that holds it"
        ) from err
    folder.mkdir(parents=True, exist_ok=True)
    wanted = set(spec.files.values())
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        for member in archive.namelist():
            base = Path(member).name
            if base in wanted:
                (folder / base).write_bytes(archive.read(member))


def read_documents(ref: CorpusRef) -> Iterator[Document]:
    """Stream the annotated documents of a resolved corpus file (PubTator, BioC XML or BioC JSON, or any
    other format of the fetch layer's table), read and checked as every command reads records."""
    from litgraph.fetch.formats import read_file

    return read_file(ref.path)


def load_corpus(name: str, settings: Settings | None = None, unique: bool = True) -> list[Document]:
    """All documents of a corpus; with ``unique``, repeated identical PMIDs (NCBI-disease 8528200) are kept once."""
    docs = list(read_documents(resolve(name, settings)))
    if not unique:
        return docs
    seen: set[str] = set()
    kept = []
    for doc in docs:
        if doc.pmid not in seen:
            seen.add(doc.pmid)
            kept.append(doc)
    return kept
