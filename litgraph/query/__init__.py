"""The named query library: ``queries/NAME.cypher`` files with a header, run on any graph store.

Header lines (``//`` comments before the Cypher)::

    // name: drugs-for-disease
    // description: Chemicals that treat a disease ...
    // param: disease entity:Disease  the disease, a name or a CURIE
    // param: limit int = 25  rows to return
    // example: litgraph query drugs-for-disease --param disease="lactic acidosis"

Parameter kinds: ``int``, ``str``, ``entity`` (any entity type) or ``entity:Type[,Type]``. Entity values
are names or CURIEs; a CURIE passes through, a name is resolved by the normaliser (when one is built)
and otherwise by an exact, case-insensitive match on the names of the graph's entities.
``NAME.cypher`` is written in a portable Neo4j 5 subset; ``NAME.<backend>.cypher`` (e.g.
``NAME.ladybug.cypher``) replaces it on one backend where the dialects differ.

A file may hold several statements separated by a line holding only ``;``: they are run in turn and the
first that returns rows gives the answer (the last one's, possibly none, otherwise). A query can so try a
cheap bounded pattern first and fall back to an expensive one (``path.ladybug.cypher``: one hop, two hops,
then the recursive shortest path); every statement must return the same columns and rows that the
single statement would.
"""

from __future__ import annotations

import decimal
import logging
import re
import sysconfig
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litgraph.errors import InputError, LitgraphError
from litgraph.store.schema import ENTITY_LABELS

if TYPE_CHECKING:
    import pandas

    from litgraph.settings import Settings
    from litgraph.store import GraphStore

log = logging.getLogger(__name__)

CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*:\S+$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+(?P<kind>\S+)(?:\s*=\s*(?P<default>\"[^\"]*\"|\S+))?\s*(?P<doc>.*)$")


def query_dirs() -> list[Path]:
    """Where query files are looked for: the source tree's ``queries/`` (checkout or editable install),
    then ``<prefix>/share/litgraph/queries`` (where ``pip install .`` puts them)."""
    candidates = [
        Path(__file__).resolve().parents[2] / "queries",
        Path(sysconfig.get_path("data")) / "share" / "litgraph" / "queries",
    ]
    return [d for d in candidates if d.is_dir()]


@dataclass(frozen=True)
class Param:
    """A query parameter from a ``// param:`` header line."""

    name: str
    kind: str  # int, str, entity
    types: tuple[str, ...] = ()  # entity types allowed (all when empty)
    default: Any = None
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its header and the Cypher per backend (``""`` is the portable text)."""

    name: str
    description: str
    params: tuple[Param, ...]
    example: str
    path: Path
    texts: dict[str, str] = field(default_factory=dict)

    def text(self, backend: str) -> str:
        """The Cypher to run on ``backend`` (its override if there is one)."""
        return self.texts.get(backend, self.texts[""])


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//")).strip()


def _parse(path: Path) -> NamedQuery:
    header: dict[str, str] = {}
    params = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("//"):
            continue
        key, sep, value = line[2:].strip().partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "param":
            match = _PARAM.match(value)
            if not match:
                raise LitgraphError(f"{path}:{number}: bad param line; write `// param: NAME KIND [= DEFAULT] description`")
            kind, _, types = match["kind"].partition(":")
            if kind not in ("int", "str", "entity"):
                raise LitgraphError(f"{path}:{number}: unknown param kind {kind!r}; use int, str or entity[:Type,...]")
            default = match["default"]
            if default is not None:
                default = default.strip('"')
                default = int(default) if kind == "int" else default
            params.append(Param(match["name"], kind, tuple(t for t in types.split(",") if t), default, default is None, match["doc"]))
        elif key in ("name", "description", "example"):
            header[key] = value
    name = header.get("name") or path.name.removesuffix(".cypher")
    return NamedQuery(name, header.get("description", ""), tuple(params), header.get("example", ""), path,
                      {"": _strip_comments(path.read_text(encoding="utf-8"))})


@lru_cache(maxsize=None)
def _catalogue(dirs: tuple[Path, ...]) -> dict[str, NamedQuery]:
    queries: dict[str, NamedQuery] = {}
    for folder in dirs:
        for path in sorted(folder.glob("*.cypher")):
            stem = path.name.removesuffix(".cypher")
            if "." in stem:
                continue  # a backend override, attached below
            query = _parse(path)
            if query.name in queries:
                continue  # the first folder wins
            for override in folder.glob(f"{stem}.*.cypher"):
                backend = override.name.removesuffix(".cypher").split(".", 1)[1]
                query.texts[backend] = _strip_comments(override.read_text(encoding="utf-8"))
            queries[query.name] = query
    return queries


def load_queries(folder: str | Path) -> dict[str, NamedQuery]:
    """The named queries of one folder of ``.cypher`` files (e.g. another version of ``queries/``), by name."""
    return dict(_catalogue((Path(folder),)))


def list_queries() -> list[NamedQuery]:
    """All named queries, sorted by name."""
    return sorted(_catalogue(tuple(query_dirs())).values(), key=lambda q: q.name)


def get_query(name: str) -> NamedQuery:
    """The named query ``name``; InputError naming the known ones when there is none."""
    catalogue = _catalogue(tuple(query_dirs()))
    if name not in catalogue:
        raise InputError(f"no query named {name!r}; known: {', '.join(sorted(catalogue)) or 'none (queries/ not found)'}")
    return catalogue[name]


def resolve_entity(store: "GraphStore", value: str, types: tuple[str, ...] = (), *, normaliser=None) -> str:
    """A CURIE for an entity parameter.

    A CURIE passes through. A name goes to the normaliser (its first concept that is in the graph), then to
    the graph (entity names, synonyms and mention texts, case-insensitive); failing both, the normaliser's
    best concept is used (the query then finds nothing), and with no candidate at all it is an InputError.
    """
    value = value.strip()
    if CURIE.match(value):
        return value
    labels = types or ENTITY_LABELS
    concepts = normaliser.resolve(value, list(labels)) if normaliser is not None else []
    for concept in concepts:
        if store.find_entities(concept.id, labels, by="id"):
            return concept.id
    found = store.find_entities(value, labels, by="name")
    if found:
        return found[0]
    if concepts:
        return concepts[0].id
    raise InputError(
        f"no {'/'.join(labels)} entity named {value!r} in the graph; give a CURIE (e.g. MESH:D008094) or another name"
    )


def load_normaliser(settings: "Settings | None"):
    """The normaliser of ``settings.models`` when its index is built, else None (names then match the graph).

    A query never builds the index itself: ``litgraph build`` or the normaliser's own command does.
    """
    if settings is None:
        return None
    try:
        from litgraph.normalise.normaliser import Normaliser, index_path

        if not index_path(settings).exists():
            log.info("no normaliser index under %s; entity names are matched against the graph", settings.models)
            return None
        return Normaliser.load(settings)
    except (ImportError, AttributeError, OSError, LitgraphError) as err:
        log.info("no normaliser (%s); entity names are matched against the graph", err)
        return None


def bind_params(store: "GraphStore", query: NamedQuery, raw: dict[str, Any], *, normaliser=None) -> dict[str, Any]:
    """Typed parameter values for ``query`` from ``raw`` (strings from the command line or Python values)."""
    unknown = set(raw) - {p.name for p in query.params}
    if unknown:
        raise InputError(f"query {query.name} has no parameter {', '.join(sorted(unknown))}; it takes "
                         f"{', '.join(p.name for p in query.params) or 'none'}")
    bound = {}
    for param in query.params:
        value = raw.get(param.name, param.default)
        if value is None:
            raise InputError(f"query {query.name} needs --param {param.name}=... ({param.description})")
        if param.kind == "int":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise InputError(f"parameter {param.name} of {query.name} must be a whole number, not {value!r}") from None
            if param.name == "limit" and value < 0:
                raise InputError(f"parameter limit of {query.name} must be 0 or more, not {value}")
        elif param.kind == "entity":
            value = resolve_entity(store, str(value), param.types, normaliser=normaliser)
        else:
            value = str(value)
        bound[param.name] = value
    return bound


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


#: The normaliser each open store resolved names with (loaded once per store, on the first name to resolve).
_NORMALISERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _needs_normaliser(query: NamedQuery, params: dict[str, Any]) -> bool:
    """True when an entity parameter is given as a name (a CURIE, or no entity parameter, needs none)."""
    return any(p.kind == "entity" and params.get(p.name, p.default) is not None
               and not CURIE.match(str(params.get(p.name, p.default)).strip()) for p in query.params)


def run_query(store: "GraphStore", name: "str | NamedQuery", params: dict[str, Any] | None = None, *, normaliser=None,
              settings: "Settings | None" = None) -> list[dict]:
    """Run the named query on ``store`` (a name, or a ``NamedQuery`` from ``load_queries``); rows as plain dicts.

    Entity names are resolved with ``normaliser``, or with the one built for ``settings`` (pass
    ``store.settings`` for the store's own), loaded only when a parameter is a name rather than a CURIE
    and then kept for the store; without either, names are matched against the graph.
    """
    query = name if isinstance(name, NamedQuery) else get_query(name)
    params = params or {}
    if normaliser is None and settings is not None and _needs_normaliser(query, params):
        cached = _NORMALISERS.get(store)
        if cached is None or cached[0] is not settings:
            cached = _NORMALISERS[store] = (settings, load_normaliser(settings))
        normaliser = cached[1]
    bound = bind_params(store, query, params, normaliser=normaliser)
    text = _with_labels(store, query, query.text(store.backend), bound)
    if text is None:
        return []
    rows: list[dict] = []
    for statement in statements(text):
        rows = store.run_cypher(statement, bound)
        if rows:
            break
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


_SEPARATOR = re.compile(r"^[ \t]*;[ \t]*$", re.M)


def statements(text: str) -> list[str]:
    """The statements of a query text, in the order they are tried (separated by a line holding only ``;``)."""
    parts = [part.strip() for part in _SEPARATOR.split(text)]
    return [part for part in parts if part] or [text]


_LABEL_SLOT = re.compile(r"\{label:(\w+)\}")


def _with_labels(store: "GraphStore", query: NamedQuery, text: str, bound: dict[str, Any]) -> str | None:
    """Fill ``{label:PARAM}`` slots with the node label of the entity bound to PARAM.

    Backends without a shared entity label (LadybugDB) find a node by key only within a label; an
    override file names the label this way (it comes from the schema, never from input). None when
    an entity is not in the graph, so the query has no rows.
    """
    params = {p.name: p for p in query.params}
    for name in set(_LABEL_SLOT.findall(text)):
        if name not in params or params[name].kind != "entity":
            raise LitgraphError(f"{query.path}: {{label:{name}}} names no entity parameter")
        labels = store.labels_of(bound[name], params[name].types or ENTITY_LABELS)
        if not labels:
            return None
        text = text.replace(f"{{label:{name}}}", labels[0])
    return text


def query_frame(store: "GraphStore", name: str, params: dict[str, Any] | None = None, **kwargs) -> "pandas.DataFrame":
    """``run_query`` as a pandas DataFrame (columns in the query's RETURN order)."""
    import pandas

    query = get_query(name)
    rows = run_query(store, name, params, **kwargs)
    return pandas.DataFrame(rows, columns=list(rows[0]) if rows else _return_names(query.text(store.backend)))


def _return_names(text: str) -> list[str]:
    body = re.split(r"\bRETURN\b", text, flags=re.I)[-1]
    body = re.split(r"\b(ORDER BY|LIMIT|UNION)\b", body, flags=re.I)[0]
    return re.findall(r"\bAS\s+(\w+)", body, flags=re.I)
