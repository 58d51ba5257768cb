"""Settings: every knob litgraph has, read from the environment in one place, overridden by options.

| field            | environment variable        | default                                                  |
|------------------|-----------------------------|----------------------------------------------------------|
| corpora          | ``LITGRAPH_CORPORA``        | ``$XDG_CACHE_HOME/litgraph/corpora``                     |
| models           | ``LITGRAPH_MODELS``         | ``$XDG_CACHE_HOME/litgraph/models``                      |
| graph            | ``LITGRAPH_GRAPH``          | ``$XDG_DATA_HOME/litgraph/graph``                        |
| eutils_url       | ``LITGRAPH_EUTILS_URL``     | NCBI's E-utilities URL                                   |
| eutils_batch     | ``LITGRAPH_EUTILS_BATCH``   | 500 records per efetch (at most 10,000)                  |
| ncbi_email       | ``NCBI_EMAIL``              | none                                                     |
| ncbi_api_key     | ``NCBI_API_KEY``            | none (a secret)                                          |
| neo4j_username   | ``NEO4J_USERNAME``          | ``neo4j``                                                |
| neo4j_password   | ``NEO4J_PASSWORD``          | none (a secret)                                          |
| neo4j_database   | ``NEO4J_DATABASE``          | the server's default                                     |
| threads          | ``LITGRAPH_THREADS``        | none: all CPU cores                                      |
| precision        | ``LITGRAPH_PRECISION``      | ``auto`` (bf16 autocast where the hardware has it)       |
| buffer_pool_mb   | ``LITGRAPH_BUFFER_POOL_MB`` | a quarter of memory, at most 4096 MiB (below)            |
| debug            | ``LITGRAPH_DEBUG``          | off (on: the CLI prints tracebacks, redacted)            |

``buffer_pool_mb`` is the embedded store's page cache (MiB). Unset, it is ``default_buffer_pool_mb()``: a
quarter of the machine's memory, at most 4096 MiB, so that a long build or refresh does not keep most of a
laptop's memory (LadybugDB's own default lets the cache grow to 80 % of it). A write or statement that does
not fit in that default reopens the store with twice the cache (up to the 80 %) and runs again rather than
fail. To raise it, for large graphs or faster queries on a big machine, set e.g.
``LITGRAPH_BUFFER_POOL_MB=8192``. A value that is set is a hard cap: a batch that overfills it is loaded in
smaller transactions and only what does not fit alone fails; too small a cap for the graph is very slow
(1024 MiB for 50,000 articles: LadybugDB's checkpoint shadow file grew past 30 GB; see docs/graph.md).

``Settings.from_env`` is the only place litgraph reads its environment; it validates every value
once, with the accepted forms in the message. Code that needs a setting takes a ``Settings`` (workers
of a distributed engine receive the driver's). Secrets are never printed: ``repr(Settings)`` masks
them and ``redact`` removes them from messages and logs.
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
#: Compute precisions of the models: ``auto`` is bf16 autocast where the device computes bf16 natively.
PRECISIONS = ("auto", "fp32", "bf16")
#: The most records one efetch may ask for (NCBI's limit).
MAX_EUTILS_BATCH = 10_000

#: Environment variable -> Settings field. ``from_env`` reads these and nothing else of litgraph's.
ENVIRONMENT = {
    "LITGRAPH_CORPORA": "corpora",
    "LITGRAPH_MODELS": "models",
    "LITGRAPH_GRAPH": "graph",
    "LITGRAPH_EUTILS_URL": "eutils_url",
    "LITGRAPH_EUTILS_BATCH": "eutils_batch",
    "NCBI_EMAIL": "ncbi_email",
    "NCBI_API_KEY": "ncbi_api_key",
    "NEO4J_USERNAME": "neo4j_username",
    "NEO4J_PASSWORD": "neo4j_password",
    "NEO4J_DATABASE": "neo4j_database",
    "LITGRAPH_THREADS": "threads",
    "LITGRAPH_PRECISION": "precision",
    "LITGRAPH_BUFFER_POOL_MB": "buffer_pool_mb",
    "LITGRAPH_DEBUG": "debug",
}
#: Environment variables whose values are secrets: never printed, whatever prints them.
SECRET_VARIABLES = ("NCBI_API_KEY", "NEO4J_PASSWORD")
_SECRET_FIELDS = ("ncbi_api_key", "neo4j_password")
#: Secret values this process has been given (through ``from_env`` or a ``Settings``): ``redact`` removes them.
_KNOWN_SECRETS: set[str] = set()


def _memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return 1 << 30


#: The smallest page cache (MiB) the embedded store accepts.
MIN_BUFFER_POOL_MB = 64
#: The default page cache: this share of the machine's memory ...
DEFAULT_BUFFER_POOL_SHARE = 0.25
#: ... but at most this many MiB (docs/graph.md, "Memory": a 50,000-article build as fast as with LadybugDB's
#: own default; 2048 MiB was slower there and 1024 MiB did not finish).
DEFAULT_BUFFER_POOL_MAX_MB = 4096


def default_buffer_pool_mb() -> int:
    """The embedded store's page cache (MiB) when ``LITGRAPH_BUFFER_POOL_MB`` is unset: a quarter of the
    machine's memory, at most ``DEFAULT_BUFFER_POOL_MAX_MB``, at least 256 MiB."""
    return max(256, min(int(_memory_mb() * DEFAULT_BUFFER_POOL_SHARE), DEFAULT_BUFFER_POOL_MAX_MB))


def ladybug_buffer_pool_mb() -> int:
    """LadybugDB's own default page cache (80 % of memory): what a default cache may grow to for one write."""
    return max(MIN_BUFFER_POOL_MB, int(_memory_mb() * 0.8))


def _home_default(xdg: str, fallback: str, *parts: str) -> Path:
    return Path(xdg or Path.home() / fallback).joinpath(*parts)


@dataclass(frozen=True)
class Settings:
    """Where corpora, models and the graph live, how to reach NCBI and Neo4j, and how the models compute."""

    corpora: Path = field(default_factory=lambda: _home_default("", ".cache", "litgraph", "corpora"))
    models: Path = field(default_factory=lambda: _home_default("", ".cache", "litgraph", "models"))
    graph: str = field(default_factory=lambda: str(_home_default("", ".local/share", "litgraph", "graph")))
    eutils_url: str = EUTILS_URL
    eutils_batch: int = 500
    ncbi_email: str | None = None
    ncbi_api_key: str | None = field(default=None, repr=False)
    neo4j_username: str = "neo4j"
    neo4j_password: str | None = field(default=None, repr=False)
    neo4j_database: str | None = None
    threads: int | None = None  # CPU threads of the models; None: all cores
    precision: str = "auto"
    buffer_pool_mb: int | None = None  # the embedded store's page cache in MiB; None: default_buffer_pool_mb()
    debug: bool = False

    @classmethod
    def from_env(cls, env=None, **overrides) -> "Settings":
        """Settings from the environment (``env``: a mapping in place of ``os.environ``); keyword arguments
        that are not None win. Every value is validated here; InputError names the variable and the forms."""
        env = os.environ if env is None else env
        cache, data = env.get("XDG_CACHE_HOME") or "", env.get("XDG_DATA_HOME") or ""
        values: dict = {
            "corpora": _home_default(cache, ".cache", "litgraph", "corpora"),
            "models": _home_default(cache, ".cache", "litgraph", "models"),
            "graph": str(_home_default(data, ".local/share", "litgraph", "graph")),
        }
        raw = {name: env.get(var) for var, name in ENVIRONMENT.items()}
        _KNOWN_SECRETS.update(v for k in _SECRET_FIELDS if (v := raw.get(k)))
        raw["threads"] = _whole(raw["threads"], "LITGRAPH_THREADS", 1, 4096, "CPU threads")
        raw["buffer_pool_mb"] = _whole(raw["buffer_pool_mb"], "LITGRAPH_BUFFER_POOL_MB", MIN_BUFFER_POOL_MB,
                                       max(MIN_BUFFER_POOL_MB, _memory_mb()), "MiB (at most this machine's memory)")
        raw["eutils_batch"] = _whole(raw["eutils_batch"], "LITGRAPH_EUTILS_BATCH", 1, MAX_EUTILS_BATCH,
                                     "records per efetch")
        precision = (raw["precision"] or "").strip()
        if precision and precision not in PRECISIONS:
            raise InputError(f"LITGRAPH_PRECISION={precision!r}: unknown precision; use one of {', '.join(PRECISIONS)}")
        raw["precision"] = precision or None
        raw["debug"] = bool((raw["debug"] or "").strip()) or None
        values.update({k: v for k, v in raw.items() if v not in (None, "")})
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("corpora", "models"):
            values[name] = Path(values[name]).expanduser()
        values["graph"] = str(values["graph"])
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        """A copy with the given (non-None) fields changed."""
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in changes.items() if v is not None and k in known})

    def __post_init__(self) -> None:
        check_graph(self.graph)
        check_eutils_url(self.eutils_url)
        for name, low, high in (("eutils_batch", 1, MAX_EUTILS_BATCH), ("threads", 1, 4096),
                                ("buffer_pool_mb", MIN_BUFFER_POOL_MB, 1 << 40)):
            value = getattr(self, name)
            if value is None and name != "eutils_batch":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InputError(f"setting {name}={value!r}: use a whole number from {low} to {high}")
        if self.precision not in PRECISIONS:
            raise InputError(f"unknown precision {self.precision!r}; use one of {', '.join(PRECISIONS)} "
                             "(LITGRAPH_PRECISION or --precision)")
        _KNOWN_SECRETS.update(v for v in (self.ncbi_api_key, self.neo4j_password) if v)

    @property
    def graph_is_neo4j(self) -> bool:
        """True when ``graph`` is a Neo4j URI rather than an embedded store folder."""
        return self.graph.startswith(NEO4J_SCHEMES)

    @property
    def cpu_threads(self) -> int:
        """The CPU threads the models use: ``threads``, else every core."""
        return self.threads or os.cpu_count() or 1


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


def _whole(raw: str | None, name: str, low: int, high: int, what: str) -> int | None:
    """The whole number an environment variable holds (None when unset); InputError naming it otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        raise InputError(f"{name}={raw!r}: use a whole number of {what} from {low} to {high}, or unset it")
    return int(raw)


_API_KEY = re.compile(r"(api_key=)[^&\s'\"<>]+", re.IGNORECASE)


def redact(text: str, secrets=()) -> str:
    """``text`` with secrets removed: ``api_key=`` values, URI passwords, the secrets this process was given
    (``SECRET_VARIABLES`` read by ``Settings.from_env``, secret fields of any ``Settings``) and ``secrets``."""
    text = _API_KEY.sub(r"\1***", redact_uri(str(text)))
    for secret in (*sorted(_KNOWN_SECRETS, key=len, reverse=True), *secrets):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
