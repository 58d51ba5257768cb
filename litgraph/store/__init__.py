"""The graph store: one small interface (``GraphStore``) over the embedded LadybugDB store and Neo4j.

>>> from litgraph.query import run_query
>>> from litgraph.settings import Settings
>>> with open_store(Settings.from_env(graph="my-graph")) as store:   # doctest: +SKIP
...     store.upsert_documents(docs)
...     run_query(store, "adverse-effects", {"entity": "MESH:D008094"})

The query layer (``litgraph.query``) sits above this one and is never imported by it.
"""

from __future__ import annotations

from litgraph.settings import Settings
from litgraph.store.base import GraphStore
from litgraph.store.rows import content_hash, document_models, text_hash
from litgraph.store.schema import EDGE_TYPES, ENTITY_LABELS, EdgeKey, edge_for

__all__ = ["GraphStore", "open_store", "content_hash", "document_models", "text_hash", "EDGE_TYPES", "ENTITY_LABELS", "EdgeKey", "edge_for"]


def open_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    """Open the graph named by ``settings.graph``: a folder is the embedded LadybugDB store,
    a ``bolt://``/``neo4j://``/``neo4j+s://`` URI is Neo4j (credentials from settings).

    The schema (primary keys / unique constraints first) is created when missing. Use the result as
    a context manager or call ``close()``.
    """
    if settings.graph_is_neo4j:
        from litgraph.store.backends.neo4j import Neo4jStore

        return Neo4jStore(settings.graph, settings.neo4j_username, settings.neo4j_password, settings.neo4j_database,
                          settings=settings)
    from litgraph.store.backends.ladybug import LadybugStore

    return LadybugStore(settings.graph, read_only=read_only, settings=settings)
