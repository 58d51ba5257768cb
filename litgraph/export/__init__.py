"""Export the graph: node and edge tables (CSV, Parquet), neo4j-admin import CSVs, GraphML and networkx.

Every writer builds its output in a temporary folder or file next to ``out`` and renames it into place,
so a crash never leaves half an export. ``query``/``params`` limit an export to the subgraph a named
query returns (the entities and articles its rows name, and the edges among them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from litgraph.errors import InputError, LitgraphError
from litgraph.store import aggregates
from litgraph.store.schema import CO_MENTIONED, ENTITY_AGGREGATES, ENTITY_LABELS, NODE_TABLES, REL_TABLES, arrow_type

if TYPE_CHECKING:
    import pandas

    from litgraph.store import GraphStore

FORMATS = ("graphml", "csv", "parquet", "neo4j-import")
#: Node tables exported (the key-value ledger stays in the graph).
EXPORT_NODES = tuple(t for t in NODE_TABLES if t != "Meta")
#: GraphML graph attribute listing the node/edge attributes stored as JSON text (lists).
JSON_KEYS_ATTR = "litgraph_json_keys"


def node_key(label: str, row: dict) -> str:
    """The networkx / GraphML id of a node: the CURIE of an entity, ``PMID:<pmid>`` for an article."""
    if label == "Article":
        return f"PMID:{row['pmid']}"
    if label == "Evidence":
        return f"evidence:{row['id']}"
    return row["id"]


def _key_of(label: str, value: str) -> str:
    return node_key(label, {"pmid": value, "id": value})


def to_networkx(store: "GraphStore", query: str | None = None, params: dict | None = None) -> nx.MultiDiGraph:
    """The graph (or a query's subgraph) as a ``networkx.MultiDiGraph``: node attribute ``label``, edge key and
    attribute ``type``, other attributes as stored (lists stay lists)."""
    keep = query_nodes(store, query, params or {}) if query else None
    graph = nx.MultiDiGraph()
    for label in EXPORT_NODES:
        for row in store.iter_nodes(label):
            key = node_key(label, row)
            if keep is None or key in keep:
                graph.add_node(key, label=label, **{k: v for k, v in row.items() if v is not None})
    for edge in REL_TABLES:
        for row in store.iter_edges(edge):
            u, v = _key_of(row["from_label"], row["from"]), _key_of(row["to_label"], row["to"])
            if keep is not None and (u not in keep or v not in keep):
                continue
            props = {k: x for k, x in row.items() if k not in ("from_label", "from", "to_label", "to") and x is not None}
            graph.add_edge(u, v, key=edge, type=edge, **props)
    return graph


def query_nodes(store: "GraphStore", query: str, params: dict) -> set[str]:
    """The node ids (CURIEs, ``PMID:<pmid>``) that the rows of a named query contain: its subgraph is the
    part of the graph they induce."""
    from litgraph.query import run_query

    names: set[str] = set()
    for row in run_query(store, query, params, settings=store.settings):
        for column, value in row.items():
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str):
                    continue
                names.add(item)
                if "pmid" in column:
                    names.add(f"PMID:{item}")
    return names


def write_graphml(graph: nx.MultiDiGraph, out: Path, *, force: bool = False) -> Path:
    """Write GraphML; list attributes are JSON text so that they survive tools that only know scalars.

    Which attributes are JSON is recorded per node label and per edge type (a name such as ``model`` is a
    list on relation edges and a string on Evidence nodes) in the graph attribute ``litgraph_json_keys``,
    itself JSON: ``{"node": {label: [keys]}, "edge": {type: [keys]}}``. Within a label or type a key is
    encoded for every element or for none. ``read_graphml`` decodes them.
    """
    json_keys: dict[str, dict[str, set[str]]] = {"node": {}, "edge": {}}
    for domain, items in (("node", (a for _, a in graph.nodes(data=True))), ("edge", (a for *_, a in graph.edges(data=True)))):
        for attrs in items:
            kind = str(attrs.get("label" if domain == "node" else "type", ""))
            keys = {k for k, v in attrs.items() if isinstance(v, (list, tuple, dict))}
            if keys:
                json_keys[domain].setdefault(kind, set()).update(keys)
    encoded = nx.MultiDiGraph()

    def encode(domain: str, attrs: dict) -> dict:
        keys = json_keys[domain].get(str(attrs.get("label" if domain == "node" else "type", "")), ())
        return {k: json.dumps(list(v) if isinstance(v, tuple) else v, ensure_ascii=False) if k in keys else v
                for k, v in attrs.items()}

    for node, attrs in graph.nodes(data=True):
        encoded.add_node(node, **encode("node", attrs))
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        encoded.add_edge(u, v, key=key, **encode("edge", attrs))
    encoded.graph[JSON_KEYS_ATTR] = json.dumps(
        {domain: {kind: sorted(keys) for kind, keys in sorted(by_kind.items())} for domain, by_kind in json_keys.items()},
        sort_keys=True)
    return _atomic_file(out, lambda tmp: nx.write_graphml(encoded, tmp, named_key_ids=True), force=force)


def read_graphml(path: Path) -> nx.MultiDiGraph:
    """Read a GraphML file written by ``write_graphml``, decoding the JSON-encoded list attributes (per node
    label and edge type; files from older versions list the keys once, comma-separated)."""
    graph = nx.read_graphml(path, force_multigraph=True)
    raw = graph.graph.pop(JSON_KEYS_ATTR, "")
    try:
        spec = json.loads(raw) if raw.startswith("{") else None
    except ValueError:
        spec = None
    if spec is None:  # older files: one global list of keys; decode only what is JSON text of a list
        legacy = set(filter(None, raw.split(",")))
        for attrs in [a for _, a in graph.nodes(data=True)] + [a for *_, a in graph.edges(data=True)]:
            for key in legacy & set(attrs):
                if isinstance(attrs[key], str) and attrs[key].startswith("["):
                    attrs[key] = json.loads(attrs[key])
        return graph
    for domain, items in (("node", (a for _, a in graph.nodes(data=True))), ("edge", (a for *_, a in graph.edges(data=True)))):
        by_kind = spec.get(domain, {})
        for attrs in items:
            for key in set(by_kind.get(str(attrs.get("label" if domain == "node" else "type", "")), ())) & set(attrs):
                attrs[key] = json.loads(attrs[key])
    return graph


def graph_tables(store: "GraphStore", graph: nx.MultiDiGraph | None = None) -> tuple[dict[str, "pandas.DataFrame"], dict[str, "pandas.DataFrame"]]:
    """Node tables per label and edge tables per type (columns as in ``schema``); from ``graph`` when given
    (a query's subgraph), else straight from the store."""
    import pandas

    nodes, edges = {}, {}
    for label in EXPORT_NODES:
        columns = [c for c, _ in NODE_TABLES[label][0]]
        if graph is None:
            rows = list(store.iter_nodes(label))
        else:
            rows = [{c: attrs.get(c) for c in columns} for _, attrs in graph.nodes(data=True) if attrs.get("label") == label]
        nodes[label] = pandas.DataFrame(rows, columns=columns)
    for edge, (_, cols) in REL_TABLES.items():
        columns = ["from_label", "from", "to_label", "to", *[c for c, _ in cols]]
        if graph is None:
            rows = list(store.iter_edges(edge))
        else:
            rows = []
            for u, v, attrs in graph.edges(data=True):
                if attrs.get("type") == edge:
                    lu, lv = graph.nodes[u]["label"], graph.nodes[v]["label"]
                    rows.append({"from_label": lu, "from": _raw_key(lu, u), "to_label": lv, "to": _raw_key(lv, v),
                                 **{c: attrs.get(c) for c in columns[4:]}})
        edges[edge] = pandas.DataFrame(rows, columns=columns)
    return nodes, edges


def _raw_key(label: str, key: str) -> str:
    if label == "Article":
        return key.removeprefix("PMID:")
    if label == "Evidence":
        return key.removeprefix("evidence:")
    return key


def arrow_table(frame: "pandas.DataFrame", kinds: dict[str, str]):
    """A DataFrame as an Arrow table typed by schema column types (``kinds``: column -> type; STRING if absent)."""
    import pyarrow as pa

    schema = pa.schema([(c, arrow_type(kinds.get(c, "STRING"))) for c in frame.columns])
    records = frame.astype(object).where(frame.notna(), None).to_dict("list")
    return pa.table({c: pa.array(records[c], type=schema.field(c).type) for c in frame.columns}, schema=schema)


def write_tables(store: "GraphStore", out: Path, fmt: str = "csv", graph: nx.MultiDiGraph | None = None, *,
                 force: bool = False) -> Path:
    """``out/nodes/<Label>.<ext>`` and ``out/edges/<TYPE>.<ext>`` (``fmt`` csv or parquet).

    Parquet keeps list columns as lists (the layout ``LadybugStore.bulk_load_parquet`` reads back);
    CSV writes lists as JSON text. Empty tables are left out.
    """
    import pyarrow.parquet as pq

    nodes, edges = graph_tables(store, graph)

    def build(tmp: Path) -> None:
        for sub, tables, spec in (("nodes", nodes, {t: NODE_TABLES[t][0] for t in nodes}),
                                  ("edges", edges, {t: (("from_label", "STRING"), ("from", "STRING"), ("to_label", "STRING"),
                                                        ("to", "STRING"), *REL_TABLES[t][1]) for t in edges})):
            (tmp / sub).mkdir(parents=True)
            for name, frame in tables.items():
                if frame.empty:
                    continue
                kinds = dict(spec[name])
                if fmt == "parquet":
                    pq.write_table(arrow_table(frame, kinds), tmp / sub / f"{name}.parquet")
                else:
                    frame = frame.copy()
                    for column, kind in kinds.items():
                        if kind.endswith("[]"):
                            frame[column] = frame[column].map(lambda v: json.dumps(list(v), ensure_ascii=False) if v is not None else None)
                    frame.to_csv(tmp / sub / f"{name}.csv", index=False)

    return _atomic_dir(out, build, force=force)


_NEO4J_TYPES = {"STRING": "", "INT64": ":long", "DOUBLE": ":double", "BOOL": ":boolean", "STRING[]": ":string[]"}


#: Array (and label) delimiter of the neo4j-admin CSVs: the ASCII unit separator, which no text here contains
#: (a ``;`` may well appear in a synonym or a mention text).
_ARRAY_DELIMITER = "\x1f"


def write_neo4j_import(store: "GraphStore", out: Path, graph: nx.MultiDiGraph | None = None, *,
                       force: bool = False) -> Path:
    """CSV files for ``neo4j-admin database import full`` and ``import.sh`` with the command that reads them.

    One node file per label (entities also get the ``Entity`` label the Neo4j backend uses) and one
    relationship file per edge type and label pair; arrays use U+001F as the delimiter. ``neo4j-admin``
    cannot store an empty list (it leaves the property out), so ``sh import.sh --after-import`` prints the
    Cypher that sets those properties back to ``[]``; pipe it into ``cypher-shell`` once Neo4j is started.

    The files also hold the precomputed aggregates of the exported mentions (``articles`` on the entities, the
    ``CO_MENTIONED`` edges, and the ``Meta`` key that says they are current), so that the imported graph is
    ready at its first open instead of computing them through Bolt (43 of 68 s at 50,000 articles).
    """
    import pandas

    nodes, edges = graph_tables(store, graph)
    pairs, articles = _aggregates(edges["MENTIONS"])

    def build(tmp: Path) -> None:
        args, after = [], []
        for label, frame in nodes.items():
            if frame.empty:
                continue
            columns, key = NODE_TABLES[label]
            if label in ENTITY_LABELS:
                frame = frame.assign(articles=[articles.get((label, i)) for i in frame[key]])
                columns = (*columns, *ENTITY_AGGREGATES)
            header = [f"{name}:ID({label})" if name == key else f"{name}{_NEO4J_TYPES[kind]}" for name, kind in columns]
            after += _restore_empty_lists(f"(n:{label})", "n", _empty_lists(frame, dict(columns)))
            frame = _neo4j_cells(frame, dict(columns))
            frame.columns = header
            frame[":LABEL"] = f"{label}{_ARRAY_DELIMITER}Entity" if label in ENTITY_LABELS else label
            name = f"nodes_{label}.csv"
            frame.to_csv(tmp / name, index=False)
            args.append(f"--nodes={label}={name}")
        for edge, frame in edges.items():
            if frame.empty:
                continue
            columns = dict(REL_TABLES[edge][1])
            after += _restore_empty_lists(f"()-[r:{edge}]->()", "r", _empty_lists(frame, columns))
            for (a, b), part in frame.groupby(["from_label", "to_label"], sort=True):
                part = _neo4j_cells(part.drop(columns=["from_label", "to_label"]), columns)
                part.columns = [f":START_ID({a})", f":END_ID({b})", *[f"{c}{_NEO4J_TYPES[k]}" for c, k in columns.items()]]
                part[":TYPE"] = edge
                name = f"edges_{edge}_{a}_{b}.csv"
                part.to_csv(tmp / name, index=False)
                args.append(f"--relationships={edge}={name}")
        for (a, b), part in pairs.groupby(["la", "lb"], sort=True):
            part = pandas.DataFrame({f":START_ID({a})": part.s, f":END_ID({b})": part.o, "articles:long": part.d,
                                     ":TYPE": CO_MENTIONED})
            name = f"edges_{CO_MENTIONED}_{a}_{b}.csv"
            part.to_csv(tmp / name, index=False)
            args.append(f"--relationships={CO_MENTIONED}={name}")
        # the ledger's record that the aggregates above are current (``aggregates.ensure`` then leaves them)
        pandas.DataFrame({"key:ID(Meta)": ["aggregates"], "value": [aggregates.VERSION], ":LABEL": ["Meta"]}).to_csv(
            tmp / "nodes_Meta.csv", index=False)
        args.append("--nodes=Meta=nodes_Meta.csv")
        script = ["#!/bin/sh",
                  "# Run in this folder with Neo4j stopped; DATABASE defaults to neo4j. neo4j-admin leaves empty lists out,",
                  "# so once Neo4j is started again, set them back with:",
                  '#   sh import.sh --after-import | cypher-shell -u neo4j -p "$NEO4J_PASSWORD" -d "${DATABASE:-neo4j}"',
                  'if [ "${1:-}" = "--after-import" ]; then',
                  "cat <<'CYPHER'", *(after or ["RETURN 'no empty lists to restore' AS done;"]), "CYPHER",
                  "exit 0", "fi",
                  "neo4j-admin database import full --array-delimiter=U+001F --multiline-fields=true --overwrite-destination \\",
                  *[f"  {a} \\" for a in args], '  "${DATABASE:-neo4j}"', ""]
        (tmp / "import.sh").write_text("\n".join(script), encoding="utf-8")
        os.chmod(tmp / "import.sh", 0o755)

    return _atomic_dir(out, build, force=force)


def _aggregates(mentions: "pandas.DataFrame"):
    """``aggregates.of_mentions`` of a ``MENTIONS`` edge table (``from`` the pmid, ``to_label``, ``to``)."""
    mentioned_by: dict[str, set[tuple[str, str]]] = {}
    for pmid, label, curie in zip(mentions["from"], mentions["to_label"], mentions["to"]):
        mentioned_by.setdefault(pmid, set()).add((label, curie))
    return aggregates.of_mentions(mentioned_by)


def _restore_empty_lists(pattern: str, var: str, columns: list[str]) -> list[str]:
    """The Cypher that sets the list ``columns`` that ``neo4j-admin`` left out back to ``[]``: one pass over the
    label or type for all of them (one per column read every node twice as often)."""
    if not columns:
        return []
    missing = " OR ".join(f"{var}.{c} IS NULL" for c in columns)
    sets = ", ".join(f"{var}.{c} = coalesce({var}.{c}, [])" for c in columns)
    return [f"MATCH {pattern} WHERE {missing} CALL {{ WITH {var} SET {sets} }} IN TRANSACTIONS OF 10000 ROWS;"]


def _empty_lists(frame: "pandas.DataFrame", kinds: dict[str, str]) -> list[str]:
    """The list columns of a table that hold an empty list somewhere."""
    return [c for c, kind in kinds.items() if kind.endswith("[]") and frame[c].map(lambda v: v is not None and len(v) == 0).any()]


def _join_array(values) -> str | None:
    if values is None:
        return None
    values = list(values)
    if any(_ARRAY_DELIMITER in v for v in values):
        raise InputError("a list value contains the character U+001F, which neo4j-import uses as its array delimiter")
    return _ARRAY_DELIMITER.join(values)


def _neo4j_cells(frame: "pandas.DataFrame", kinds: dict[str, str]) -> "pandas.DataFrame":
    frame = frame.copy()
    for column, kind in kinds.items():
        if kind.endswith("[]"):
            frame[column] = frame[column].map(_join_array)
        elif kind == "BOOL":
            frame[column] = frame[column].map(lambda v: None if v is None else ("true" if v else "false"))
        elif kind == "INT64":
            frame[column] = frame[column].astype("Int64")
    return frame


def export(store: "GraphStore", fmt: str, out: Path | str, query: str | None = None, params: dict | None = None, *,
           force: bool = False) -> Path:
    """Export the graph (or a named query's subgraph) as ``fmt`` (one of ``FORMATS``) to ``out``.

    ``out`` must be a new path or an empty folder; ``force`` replaces an earlier litgraph export there
    (and nothing else). The current folder and the graph itself are never written (``check_target``).
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    settings = getattr(store, "settings", None)
    embedded = settings is not None and not settings.graph_is_neo4j
    check_target(out, "file" if fmt == "graphml" else "folder", force=force, graph=settings.graph if embedded else None)
    graph = to_networkx(store, query, params) if (query or fmt == "graphml") else None
    if fmt == "graphml":
        return write_graphml(graph, out, force=force)
    if fmt == "neo4j-import":
        return write_neo4j_import(store, out, graph, force=force)
    return write_tables(store, out, fmt, graph, force=force)


def _atomic_file(out: Path, write, *, force: bool = False) -> Path:
    check_target(out, "file", force=force)
    _make_parent(out)
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    except OSError as err:
        raise InputError(f"cannot write here ({err.strerror}); choose a writable folder", path=str(out)) from err
    os.close(handle)
    try:
        write(tmp)
        _normal_mode(Path(tmp), 0o666)
        os.replace(tmp, out)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise LitgraphError(f"{out}: export failed while writing ({err.strerror or err}); nothing was replaced") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _atomic_dir(out: Path, build, *, force: bool = False) -> Path:
    """Build a folder export in a temporary folder beside ``out`` and rename it into place.

    ``out`` must be new or an empty folder; with ``force`` it may also be an earlier litgraph export
    (nothing else in it), which is moved aside, replaced and only then deleted. See ``check_target``.
    """
    check_target(out, "folder", force=force)
    _make_parent(out)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as err:
        raise InputError(f"cannot write here ({err.strerror}); choose a writable folder", path=str(out)) from err
    old = None
    try:
        build(tmp)
        _normal_mode(tmp, 0o777)
        if out.exists() and any(out.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / "export")
        os.replace(tmp, out)
    except BaseException as err:
        if old is not None and not out.exists():
            os.replace(old / "export", out)  # put the earlier export back
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise LitgraphError(f"{out}: export failed while writing ({err.strerror or err}); nothing was replaced") from err
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out


def _normal_mode(path: Path, mode: int) -> None:
    """Give a file or folder from ``mkstemp`` / ``mkdtemp`` (0600 / 0700) the mode a plain ``open`` or ``mkdir``
    gives: ``mode`` less the umask (0644 / 0755 under the usual umask 022)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def _make_parent(out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create the folder {out.parent} ({err.strerror}); choose a writable folder",
                         path=str(out)) from err


#: What litgraph itself writes into an export folder (csv/parquet tables, neo4j-admin import files).
_OWN_FILES = re.compile(r"^(nodes_\w+\.csv|edges_\w+\.csv|import\.sh)$")
_OWN_TABLES = re.compile(r"^\w+\.(csv|parquet)$")


def is_export_folder(folder: Path) -> bool:
    """True when a folder holds nothing but a litgraph export (``nodes/``, ``edges/`` tables, or
    neo4j-import CSVs and ``import.sh``)."""
    for entry in folder.iterdir():
        if entry.is_symlink():
            return False
        if entry.is_dir() and entry.name in ("nodes", "edges"):
            if not all(f.is_file() and not f.is_symlink() and _OWN_TABLES.match(f.name) for f in entry.iterdir()):
                return False
        elif not (entry.is_file() and _OWN_FILES.match(entry.name)):
            return False
    return True


def is_graphml_export(path: Path) -> bool:
    """True when a file is a GraphML file written by ``write_graphml`` (it declares ``litgraph_json_keys``)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return b"<graphml" in head and JSON_KEYS_ATTR.encode() in head


def check_target(out: Path, kind: str, *, force: bool = False, graph: str | None = None) -> None:
    """Refuse an export target that would destroy data; InputError (exit 2) naming it and what to do.

    Never written: the current folder or any folder above it, the graph folder (``graph``), a folder
    inside it or above it. A new path or an empty folder is always fine. An existing file or a
    non-empty folder is replaced only with ``force``, and only when it holds a litgraph export of
    the same kind and nothing else.
    """
    target = Path(os.path.abspath(out.expanduser()))
    cwd = Path.cwd()
    if target == cwd or target in cwd.parents:
        raise InputError("refusing to export over the current folder or a folder above it; give a new folder path",
                         path=str(out))
    if graph:
        store = Path(os.path.abspath(Path(graph).expanduser()))
        if target == store or target in store.parents or store in target.parents:
            raise InputError(f"refusing to export into or over the graph ({graph}); give a path outside it",
                             path=str(out))
    if not target.exists() and not target.is_symlink():
        return
    if kind == "file":
        if target.is_dir() or not target.is_file():
            raise InputError("exists and is not a file; give a new .graphml path", path=str(out))
        if not force:
            raise InputError("exists; give a new path, or --force to replace an earlier litgraph export", path=str(out))
        if not is_graphml_export(target):
            raise InputError("exists and is not a litgraph GraphML export; --force replaces only those", path=str(out))
        return
    if not target.is_dir() or target.is_symlink():
        raise InputError("exists and is not a folder; give a new folder path", path=str(out))
    if not any(target.iterdir()):
        return
    if not force:
        raise InputError("folder is not empty; give a new or empty folder, or --force to replace an earlier "
                         "litgraph export", path=str(out))
    if not is_export_folder(target):
        raise InputError("folder holds files that are not a litgraph export; --force replaces only litgraph's own "
                         "exports (give a new folder)", path=str(out))
