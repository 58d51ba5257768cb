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
import re
import urllib.parse
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from litgraph.errors import InputError

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
        check_environment(env)
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

    def __post_init__(self) -> None:
        check_graph(self.graph)
        check_eutils_url(self.eutils_url)

    @property
    def graph_is_neo4j(self) -> bool:
        """True when ``graph`` is a Neo4j URI rather than an embedded store folder."""
        return self.graph.startswith(NEO4J_SCHEMES)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def redact_uri(uri: str) -> str:
    """A URI with its user and password removed (``bolt://user:pw@host`` -> ``bolt://***@host``)."""
    return _USERINFO.sub("***@", str(uri))


def check_graph(graph: str) -> None:
    """InputError unless ``graph`` is a folder path or a Neo4j URI with a host and a numeric port."""
    text = str(graph)
    found = _SCHEME.match(text)
    if not text.strip():
        raise InputError("the graph is empty; give a folder (embedded store) or bolt://HOST:7687 (LITGRAPH_GRAPH / --graph)")
    if not found:
        return
    shown = redact_uri(text)
    if not text.startswith(NEO4J_SCHEMES):
        raise InputError(f"graph {shown!r}: {found.group(1)}:// is not a graph litgraph can use; give a folder path "
                         "(embedded store) or a Neo4j URI: " + ", ".join(s + "HOST:7687" for s in NEO4J_SCHEMES[::3])
                         + " (LITGRAPH_GRAPH / --graph)")
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(f"graph {shown!r}: the port must be a number from 1 to 65535, e.g. bolt://localhost:7687") from None
    if not parts.hostname:
        raise InputError(f"graph {shown!r} names no host; e.g. bolt://localhost:7687")
    if parts.username or parts.password:
        raise InputError(f"graph {shown!r}: the URI carries a user or password; set NEO4J_USERNAME and NEO4J_PASSWORD "
                         "instead (never put a password on a command line)")
    if port is not None and not 1 <= port <= 65535:
        raise InputError(f"graph {shown!r}: the port must be a number from 1 to 65535, e.g. bolt://localhost:7687")


def check_eutils_url(url: str) -> None:
    """InputError unless the E-utilities base URL is an http(s) URL with a host."""
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"LITGRAPH_EUTILS_URL={redact_uri(url)!r} is not an http:// or https:// URL; e.g. {EUTILS_URL}")


def _whole(env, name: str, low: int, high: int, what: str) -> None:
    raw = (env.get(name) or "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        raise InputError(f"{name}={raw!r}: use a whole number of {what} from {low} to {high}, or unset it")


def _memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return 1 << 30


def check_environment(env=None) -> None:
    """Validate the numeric settings litgraph reads from the environment, once, with the accepted forms."""
    env = os.environ if env is None else env
    _whole(env, "LITGRAPH_THREADS", 1, 4096, "CPU threads")
    _whole(env, "LITGRAPH_BUFFER_POOL_MB", 64, max(64, _memory_mb()), "MiB (at most this machine's memory)")
    _whole(env, "LITGRAPH_EUTILS_BATCH", 1, 10_000, "records per efetch")


_API_KEY = re.compile(r"(api_key=)[^&\s'\"<>]+", re.IGNORECASE)
#: Environment variables whose values are secrets: never printed, whatever prints them.
SECRET_VARIABLES = ("NCBI_API_KEY", "NEO4J_PASSWORD")


def redact(text: str, secrets=()) -> str:
    """``text`` with secrets removed: ``api_key=`` values, URI passwords, and the values of the secret
    environment variables (and of ``secrets``)."""
    text = _API_KEY.sub(r"\1***", redact_uri(str(text)))
    for secret in (*(os.environ.get(v) for v in SECRET_VARIABLES), *secrets):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
