"""litgraph's connectors to the outside world: PubMed (E-utilities, baseline/update XML, MEDLINE),
annotated corpus formats (PubTator, BioC). The graph backends live in ``litgraph.store.backends``."""
