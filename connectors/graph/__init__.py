"""Graph backends: the embedded LadybugDB store (default) and Neo4j."""
