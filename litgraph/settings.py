"""Settings from environment variables, overridden by command-line options.

| setting   | environment variable    | default                                  |
|-----------|-------------------------|------------------------------------------|
| corpora   | ``LITGRAPH_CORPORA``    | ``$XDG_CACHE_HOME/litgraph/corpora``     |
| models    | ``LITGRAPH_MODELS``     | ``$XDG_CACHE_HOME/litgraph/models``      |
| graph     | ``LITGRAPH_GRAPH``      | ``$XDG_DATA_HOME/litgraph/graph``        |
| eutils    | ``LITGRAPH_EUTILS_URL`` | NCBI's E-utilities URL                   |

NCBI credentials come from ``NCBI_API_KEY`` and ``NCBI_EMAIL``; Neo4j credentials from
``NEO4J_USERNAME``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``. Secrets are never printed:
``repr(Settings)`` masks them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


@dataclass(frozen=True)
class Settings:
    """Where corpora, models and the graph live, and how to reach NCBI and Neo4j."""

    corpora: Path = field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "litgraph" / "corpora")
    models: Path = field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "litgraph" / "models")
    graph: str = field(default_factory=lambda: str(_xdg("XDG_DATA_HOME", ".local/share") / "litgraph" / "graph"))
    eutils_url: str = EUTILS_URL
    ncbi_email: str | None = None
    ncbi_api_key: str | None = field(default=None, repr=False)
    neo4j_username: str = "neo4j"
    neo4j_password: str | None = field(default=None, repr=False)
    neo4j_database: str | None = None

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from the environment; keyword arguments that are not None win."""
        env = os.environ
        values = {
            "corpora": env.get("LITGRAPH_CORPORA"),
            "models": env.get("LITGRAPH_MODELS"),
            "graph": env.get("LITGRAPH_GRAPH"),
            "eutils_url": env.get("LITGRAPH_EUTILS_URL"),
            "ncbi_email": env.get("NCBI_EMAIL"),
            "ncbi_api_key": env.get("NCBI_API_KEY"),
            "neo4j_username": env.get("NEO4J_USERNAME"),
            "neo4j_password": env.get("NEO4J_PASSWORD"),
            "neo4j_database": env.get("NEO4J_DATABASE"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        values = {k: v for k, v in values.items() if v not in (None, "")}
        for name in ("corpora", "models"):
            if name in values:
                values[name] = Path(values[name]).expanduser()
        if "graph" in values:
            values["graph"] = str(values["graph"])
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        """A copy with the given (non-None) fields changed."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if v is not None and k in known})

    @property
    def graph_is_neo4j(self) -> bool:
        """True when ``graph`` is a Neo4j URI rather than an embedded store folder."""
        return self.graph.startswith(NEO4J_SCHEMES)
