"""litgraph's connectors to the outside world: PubMed (E-utilities, baseline/update XML, MEDLINE),
annotated corpus formats (PubTator, BioC). The folder is ``connectors/`` in the source tree and is installed
as ``litgraph.connectors`` (``pyproject.toml``); the graph backends live in ``litgraph.store.backends``."""
