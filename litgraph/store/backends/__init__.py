"""Graph backends behind ``litgraph.store.GraphStore``: the embedded LadybugDB store (default,
``litgraph.store.backends.ladybug``) and Neo4j (``litgraph.store.backends.neo4j``)."""
