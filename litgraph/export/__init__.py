"""Export the graph: node and edge tables (CSV, Parquet), neo4j-admin import CSVs, GraphML and networkx.

Every writer builds its output in a temporary folder or file next to ``out`` and renames it into place,
so a crash never leaves half an export. ``query``/``params`` limit an export to the subgraph a named
query returns (the entities and articles its rows name, and the edges among them).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from litgraph.errors import InputError
from litgraph.store.schema import ENTITY_LABELS, NODE_TABLES, REL_TABLES, arrow_type

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


def write_graphml(graph: nx.MultiDiGraph, out: Path) -> Path:
    """Write GraphML; list attributes are JSON text (their names listed in the graph attribute
    ``litgraph_json_keys``) so they survive tools that only know scalars. ``read_graphml`` decodes them."""
    encoded = nx.MultiDiGraph(**{JSON_KEYS_ATTR: ""})
    json_keys: set[str] = set()

    def encode(attrs: dict) -> dict:
        plain = {}
        for key, value in attrs.items():
            if isinstance(value, (list, tuple, dict)):
                json_keys.add(key)
                value = json.dumps(value, ensure_ascii=False)
            plain[key] = value
        return plain

    for node, attrs in graph.nodes(data=True):
        encoded.add_node(node, **encode(attrs))
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        encoded.add_edge(u, v, key=key, **encode(attrs))
    encoded.graph[JSON_KEYS_ATTR] = ",".join(sorted(json_keys))
    return _atomic_file(out, lambda tmp: nx.write_graphml(encoded, tmp, named_key_ids=True))


def read_graphml(path: Path) -> nx.MultiDiGraph:
    """Read a GraphML file written by ``write_graphml``, decoding the JSON-encoded list attributes."""
    graph = nx.read_graphml(path, force_multigraph=True)
    keys = set(filter(None, graph.graph.pop(JSON_KEYS_ATTR, "").split(",")))
    for _, attrs in graph.nodes(data=True):
        for key in keys & set(attrs):
            attrs[key] = json.loads(attrs[key])
    for *_, attrs in graph.edges(data=True):
        for key in keys & set(attrs):
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


def write_tables(store: "GraphStore", out: Path, fmt: str = "csv", graph: nx.MultiDiGraph | None = None) -> Path:
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

    return _atomic_dir(out, build)


_NEO4J_TYPES = {"STRING": "", "INT64": ":long", "DOUBLE": ":double", "BOOL": ":boolean", "STRING[]": ":string[]"}


def write_neo4j_import(store: "GraphStore", out: Path, graph: nx.MultiDiGraph | None = None) -> Path:
    """CSV files for ``neo4j-admin database import full`` and ``import.sh`` with the command that reads them.

    One node file per label (entities also get the ``Entity`` label the Neo4j backend uses) and one
    relationship file per edge type and label pair; arrays use ``;`` as the delimiter.
    """
    nodes, edges = graph_tables(store, graph)

    def build(tmp: Path) -> None:
        args = []
        for label, frame in nodes.items():
            if frame.empty:
                continue
            columns, key = NODE_TABLES[label]
            header = [f"{name}:ID({label})" if name == key else f"{name}{_NEO4J_TYPES[kind]}" for name, kind in columns]
            frame = _neo4j_cells(frame, dict(columns))
            frame.columns = header
            frame[":LABEL"] = f"{label};Entity" if label in ENTITY_LABELS else label
            name = f"nodes_{label}.csv"
            frame.to_csv(tmp / name, index=False)
            args.append(f"--nodes={label}={name}")
        for edge, frame in edges.items():
            if frame.empty:
                continue
            columns = dict(REL_TABLES[edge][1])
            for (a, b), part in frame.groupby(["from_label", "to_label"], sort=True):
                part = _neo4j_cells(part.drop(columns=["from_label", "to_label"]), columns)
                part.columns = [f":START_ID({a})", f":END_ID({b})", *[f"{c}{_NEO4J_TYPES[k]}" for c, k in columns.items()]]
                part[":TYPE"] = edge
                name = f"edges_{edge}_{a}_{b}.csv"
                part.to_csv(tmp / name, index=False)
                args.append(f"--relationships={edge}={name}")
        script = ["#!/bin/sh", "# Run in this folder with Neo4j stopped; DATABASE defaults to neo4j.",
                  'neo4j-admin database import full --array-delimiter=";" --overwrite-destination \\',
                  *[f"  {a} \\" for a in args], '  "${DATABASE:-neo4j}"', ""]
        (tmp / "import.sh").write_text("\n".join(script), encoding="utf-8")
        os.chmod(tmp / "import.sh", 0o755)

    return _atomic_dir(out, build)


def _neo4j_cells(frame: "pandas.DataFrame", kinds: dict[str, str]) -> "pandas.DataFrame":
    frame = frame.copy()
    for column, kind in kinds.items():
        if kind.endswith("[]"):
            frame[column] = frame[column].map(lambda v: ";".join(v) if v is not None else None)
        elif kind == "BOOL":
            frame[column] = frame[column].map(lambda v: None if v is None else ("true" if v else "false"))
        elif kind == "INT64":
            frame[column] = frame[column].astype("Int64")
    return frame


def export(store: "GraphStore", fmt: str, out: Path | str, query: str | None = None, params: dict | None = None) -> Path:
    """Export the graph (or a named query's subgraph) as ``fmt`` (one of ``FORMATS``) to ``out``."""
    out = Path(out)
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    graph = to_networkx(store, query, params) if (query or fmt == "graphml") else None
    if fmt == "graphml":
        return write_graphml(graph, out)
    if fmt == "neo4j-import":
        return write_neo4j_import(store, out, graph)
    return write_tables(store, out, fmt, graph)


def _atomic_file(out: Path, write) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _atomic_dir(out: Path, build) -> Path:
    if out.exists() and not out.is_dir():
        raise InputError("export target exists and is not a folder; give a new folder path", path=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        build(tmp)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
