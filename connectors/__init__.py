"""litgraph's connectors to the outside world: PubMed (E-utilities, baseline/update XML, MEDLINE),
annotated corpus formats (PubTator, BioC) and graph backends (embedded store, Neo4j)."""
