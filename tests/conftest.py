"""Test settings: corpora and PubMed samples are read from LITGRAPH_CORPORA (default ../shared/data).

``tests/unit/`` is the fast tier (``make test-fast``): small inline data, no corpora, no model training,
no Neo4j. Everything else here is the full suite and needs the corpora.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from litgraph.settings import Settings

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("LITGRAPH_CORPORA") or REPO.parent / "shared" / "data").resolve()

pytest_plugins = [
    "tests.fixtures.ingest",
    "tests.fixtures.models",
    "tests.fixtures.normalise",
    "tests.fixtures.graph",
    "tests.fixtures.pipeline",
]


UNIT = REPO / "tests" / "unit"


def pytest_collection_modifyitems(config, items):
    """The full suite needs the corpora; the fast tier (tests/unit) does not."""
    needs_corpora = any(UNIT not in Path(str(item.fspath)).parents for item in items)
    if needs_corpora and not (DATA / "bc5cdr").is_dir():
        raise pytest.UsageError(f"corpora not found at {DATA}: set LITGRAPH_CORPORA to the shared data folder "
                                "(or run the fast tier alone: make test-fast)")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared corpora folder (bc5cdr/, biored/, ncbi_disease/, pubmed_samples/)."""
    return DATA


@pytest.fixture(scope="session")
def samples_dir(data_dir) -> Path:
    """Real PubMed samples: entrez/, baseline/, updatefiles/, medline/."""
    return data_dir / "pubmed_samples"


@pytest.fixture()
def settings(data_dir, tmp_path) -> Settings:
    """Settings reading the shared corpora, with a fresh graph folder; models from LITGRAPH_MODELS or a session cache."""
    return Settings.from_env(corpora=str(data_dir), graph=str(tmp_path / "graph"))
