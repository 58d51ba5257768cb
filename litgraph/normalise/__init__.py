"""Normalisation of Chemical, Disease and Gene mentions to ontology codes (MeSH, NCBI Gene, OMIM).

``Normaliser.load(settings)`` gives a normaliser backed by a cached index (built on first use);
see ``docs/normalise.md``.
"""

from litgraph.normalise.evaluate import evaluate
from litgraph.normalise.index import Index, build_index
from litgraph.normalise.normaliser import STEPS, Normaliser
from litgraph.normalise.vocab import Sources

__all__ = ["Index", "Normaliser", "STEPS", "Sources", "build_index", "evaluate"]
