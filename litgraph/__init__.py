"""litgraph: the biomedical literature as a queryable knowledge graph."""

__version__ = "0.1.0"
