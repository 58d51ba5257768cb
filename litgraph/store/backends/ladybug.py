"""The embedded graph store on LadybugDB (the maintained fork of Kuzu): one database file, in process.

The store lives in a folder (``Settings.graph``) holding ``graph.lbdb``. LadybugDB's Cypher is Kuzu's:
typed node and rel tables with primary keys, ``label(x)`` instead of ``type(r)``/``labels(n)``,
``* SHORTEST`` for shortest paths, and a key lookup needs the node's label. Rows are handed over as typed
Arrow tables: ``COPY`` appends new nodes and edges, ``LOAD FROM`` drives merges (5-10x faster than
``UNWIND`` of Python lists, and nullable columns keep their type). All of this backend's Cypher is in
this module.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

import ladybug

from litgraph.errors import InputError, LitgraphError, TransactionTooLarge
from litgraph.settings import Settings, default_buffer_pool_mb, ladybug_buffer_pool_mb
from litgraph.store import aggregates
from litgraph.store.base import GraphStore, chunks
from litgraph.store.schema import (
    ADDED_COLUMNS,
    ARTICLE_COLUMNS,
    CO_MENTION_COLUMNS,
    CO_MENTIONED,
    EDGE_COLUMNS,
    EDGE_TYPES,
    ENTITY_AGGREGATES,
    ENTITY_COLUMNS,
    ENTITY_LABELS,
    ENTITY_PAIRS,
    EVIDENCE_COLUMNS,
    MENTION_COLUMNS,
    NODE_TABLES,
    REL_TABLES,
    arrow_type,
)

log = logging.getLogger(__name__)

DB_FILE = "graph.lbdb"
#: How long a read-only open waits for a writer in another process to finish checkpointing.
READ_WAIT_S = 30.0
#: LadybugDB's refusal of a read-only open while a writer checkpoints.
_BUSY = "checkpoint recovery is pending"
#: Graph folders open for writing in this process: LadybugDB lets a process open a second writer on a
#: file that already has one, and the two then lose each other's updates.
OPEN_WRITERS: set[str] = set()
_WRITERS_LOCK = threading.Lock()

_REL_KEYS = (("from", "STRING"), ("to", "STRING"))
_PAIR = (("s", "STRING"), ("o", "STRING"))

#: ``MENTIONS.texts`` is stored as one STRING, the texts joined by U+001F (a character XML cannot carry; one
#: inside a text becomes a space), not as STRING[]: LadybugDB 0.22 rewrites a rel table with a list column at
#: the first checkpoint after any of its edges was deleted, in time that grows with the square of the table
#: (2.4M edges: 178 s against 1.4 s for a STRING column; deleting the mentions of 20 articles from a
#: 200,000-article graph cost a 71 s checkpoint). Revisions and deletions delete mentions.
TEXT_SEP = "\x1f"
_MENTIONS_STORED = tuple((name, "STRING" if name == "texts" else kind) for name, kind in MENTION_COLUMNS)


def _join_texts(texts) -> str:
    return TEXT_SEP.join(t.replace(TEXT_SEP, " ") for t in texts or ())


def _split_texts(value) -> list[str]:
    """The stored texts as a list (a graph opened read-only before its conversion still holds a list)."""
    if value is None or isinstance(value, list):
        return value or []
    return value.split(TEXT_SEP) if value else []


def _arrow(rows: list[dict], columns: Iterable[tuple[str, str]], prefix: str = "c_"):
    """Rows as a typed Arrow table (the fast way to hand many rows to LadybugDB: ``LOAD FROM $t`` / ``COPY``).

    With ``prefix`` the columns are renamed ``c_<name>`` so that they cannot collide with Cypher words
    when ``LOAD FROM`` binds them as variables; COPY needs the table's own names (``prefix=""``).
    """
    import pyarrow as pa

    columns = tuple(columns)
    schema = pa.schema([(prefix + name, arrow_type(kind)) for name, kind in columns])
    return pa.table({prefix + name: pa.array([r.get(name) for r in rows], type=arrow_type(kind)) for name, kind in columns},
                    schema=schema)


def _sets(columns: Iterable[tuple[str, str]], var: str, skip: tuple[str, ...] = ()) -> str:
    return ", ".join(f"{var}.{name} = c_{name}" for name, _ in columns if name not in skip)


def _check(label: str, allowed: Iterable[str]) -> str:
    if label not in allowed:
        raise LitgraphError(f"unknown table {label!r}")
    return label


class LadybugStore(GraphStore):
    """A ``GraphStore`` in an embedded LadybugDB database under ``folder``."""

    backend = "ladybug"
    #: One COPY (or LOAD FROM) per table and label pair per transaction instead of one per 10,000 rows.
    write_rows = 1_000_000
    #: LadybugDB checkpoints at the commit of every transaction that appended to a non-empty table, rewriting
    #: the touched part of the rel tables, so fewer and larger transactions load faster (docs/graph.md).
    write_batch = 20_000

    def __init__(self, folder: str | Path, *, read_only: bool = False, threads: int = 0, settings=None,
                 buffer_pool_mb: int | None = None):
        """``buffer_pool_mb``: the page cache in MiB; default ``settings.buffer_pool_mb`` (``LITGRAPH_BUFFER_POOL_MB``,
        validated by ``Settings``), and when that is unset ``litgraph.settings.default_buffer_pool_mb()`` (a
        quarter of memory, at most 4 GiB). A set value is a hard cap; the default grows for a write or a
        statement that does not fit (``_grow_cache``) rather than fail it."""
        if buffer_pool_mb is None:
            buffer_pool_mb = (settings if settings is not None else Settings()).buffer_pool_mb
        elif isinstance(buffer_pool_mb, bool) or not isinstance(buffer_pool_mb, int) or buffer_pool_mb < 64:
            raise InputError(f"buffer_pool_mb={buffer_pool_mb!r}: use a whole number of MiB, at least 64")
        #: True while the cache is litgraph's default (it may grow); False for a cap that was set
        self.default_cache = buffer_pool_mb is None
        if buffer_pool_mb is None:
            buffer_pool_mb = default_buffer_pool_mb()
        self.buffer_pool_mb = buffer_pool_mb
        self._read_only, self._threads, self._in_tx = read_only, threads, False
        folder = Path(folder).expanduser()
        if folder.exists() and not folder.is_dir():
            raise InputError("the embedded graph must be a folder; give a folder path or a bolt:// URI", path=str(folder))
        if not read_only:
            folder.mkdir(parents=True, exist_ok=True)
        elif not (folder / DB_FILE).exists():
            raise InputError(f"no graph here ({DB_FILE} missing); build one first with `litgraph build`", path=str(folder))
        self.folder = folder
        self.settings = settings
        self._key = None
        if not read_only:
            key = str(folder.resolve())
            with _WRITERS_LOCK:
                if key in OPEN_WRITERS:
                    raise LitgraphError(f"the graph at {folder} is already open for writing in this process; use that "
                                        "store (a second writer on one LadybugDB file loses updates)")
                OPEN_WRITERS.add(key)
            self._key = key
        try:
            self._db = self._open_checked(folder, read_only, buffer_pool_mb)
            self._conn = ladybug.Connection(self._db, num_threads=threads)
            if not read_only:
                self._create_schema()
                aggregates.ensure(self)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._key is not None:
            with _WRITERS_LOCK:
                OPEN_WRITERS.discard(self._key)
            self._key = None

    @classmethod
    def _open_checked(cls, folder: Path, read_only: bool, buffer_pool_mb: int | None):
        try:
            return cls._open_database(folder, read_only, buffer_pool_mb)
        except RuntimeError as err:
            if read_only and _BUSY in str(err):
                raise LitgraphError(f"the graph at {folder} is being written (a build or refresh is saving a batch) "
                                    f"and could not be read for {READ_WAIT_S:.0f} s; retry in a minute, or schedule "
                                    "reads between refreshes") from err
            if "lock" in str(err).lower():
                raise LitgraphError(f"the graph at {folder} is open in another process (LadybugDB allows one writer); "
                                    "wait for it to finish or use another --graph") from err
            raise LitgraphError(f"cannot open the graph at {folder}: {err}") from err

    @staticmethod
    def _open_database(folder: Path, read_only: bool, buffer_pool_mb: int | None):
        """Open the database file. A read-only open shares the file with one writer in another process
        (LadybugDB 0.22) and sees its last committed transaction; it is refused while the writer checkpoints
        its write-ahead log, which takes a moment, so it is tried again for up to ``READ_WAIT_S`` seconds."""
        deadline, delay = time.monotonic() + READ_WAIT_S, 0.05
        while True:
            try:
                return ladybug.Database(str(folder / DB_FILE), read_only=read_only,
                                        buffer_pool_size=(buffer_pool_mb or 0) * 1024 * 1024)
            except RuntimeError as err:
                if not read_only or _BUSY not in str(err) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    # --------------------------------------------------------------- plumbing
    def run_cypher(self, text: str, params: dict | None = None) -> list[dict]:
        """Run one statement; rows as dicts keyed by the RETURN names."""
        result = self._execute(text, params)
        names = result.get_column_names()
        rows = []
        while result.has_next():
            rows.append(dict(zip(names, result.get_next())))
        result.close()
        return rows

    def _exec(self, text: str, params: dict | None = None) -> None:
        self._execute(text, params).close()

    def _execute(self, text: str, params: dict | None):
        _forget_table_statements(self._conn)
        try:
            return self._conn.execute(text, params or {})
        except RuntimeError as err:
            error = _error(err, self.folder)
            # a statement on its own (a bulk COPY, a read) that overfilled the default cache was rolled back
            # by itself: run it again with a larger cache; inside a transaction _in_transaction retries the whole
            if isinstance(error, _CacheFull) and not self._in_tx and self._grow_cache():
                return self._execute(text, params)
            raise error from err

    def _grow_cache(self) -> bool:
        """Reopen the database with twice the page cache, up to LadybugDB's own default (80 % of memory), when
        the cache is litgraph's default; False (nothing done) for a cap that was set, or at that ceiling. The
        larger cache stays for the rest of this store's life."""
        ceiling = ladybug_buffer_pool_mb()
        if not self.default_cache or self.buffer_pool_mb >= ceiling or self._conn is None:
            return False
        grown = min(self.buffer_pool_mb * 2, ceiling)
        if not self._read_only:
            # checkpointed first: closing right after a rolled-back write that overfilled the cache left a file
            # that failed later reads or crashed LadybugDB 0.22 (reproduced); without room even for that, give up
            try:
                self._conn.execute("CHECKPOINT").close()
            except RuntimeError:
                return False
        log.warning("the embedded graph's page cache (%d MiB) was too small for one write; reopening it with %d MiB "
                    "(LITGRAPH_BUFFER_POOL_MB sets it)", self.buffer_pool_mb, grown)
        self._conn.close()
        self._db.close()
        self._conn = None
        self._db = self._open_checked(self.folder, self._read_only, grown)
        self._conn = ladybug.Connection(self._db, num_threads=self._threads)
        self.buffer_pool_mb = grown
        return True

    def _in_transaction(self, work, *args):
        """``work(*args)`` in one transaction; one that overfilled the default page cache (rolled back whole)
        runs again with a larger cache (``_grow_cache``) rather than fail."""
        while True:
            try:
                with self.transaction():
                    return work(*args)
            except _CacheFull:
                if not self._grow_cache():
                    raise

    def _create_schema(self) -> None:
        existing = {row["name"] for row in self.run_cypher("CALL show_tables() RETURN name")}
        for table, (columns, key) in NODE_TABLES.items():
            extra = ENTITY_AGGREGATES if table in ENTITY_LABELS else ()
            if table not in existing:
                cols = ", ".join(f"{name} {kind}" for name, kind in columns + extra)
                self._exec(f"CREATE NODE TABLE {table}({cols}, PRIMARY KEY ({key}))")
            else:  # a graph built by an earlier version: add the columns it lacks (aggregates.ensure fills theirs)
                have = {row["name"] for row in self.run_cypher(f"CALL table_info('{table}') RETURN name")}
                for name, kind in columns + extra:
                    if name not in have:
                        self._exec(f"ALTER TABLE {table} ADD {name} {kind}")
        for table, (pairs, columns) in {**REL_TABLES, CO_MENTIONED: (ENTITY_PAIRS, CO_MENTION_COLUMNS)}.items():
            if table == "MENTIONS":
                columns = _MENTIONS_STORED
            if table not in existing:
                parts = [f"FROM {a} TO {b}" for a, b in pairs] + [f"{name} {kind}" for name, kind in columns]
                self._exec(f"CREATE REL TABLE {table}({', '.join(parts)})")
        self._join_mention_texts()

    def _join_mention_texts(self) -> None:
        """Convert a graph written with ``MENTIONS.texts`` as STRING[] to the joined STRING (``TEXT_SEP``).

        The edges are written to Parquet files in the graph folder first, then one transaction drops the table,
        creates it in the current layout and copies them back, so a conversion cut short leaves the old layout
        whole and runs again at the next open. (A ``SET`` over every edge took 111 s for 600,000 of them, the
        copy 1 s.)"""
        import pyarrow.parquet as pq

        staging = self.folder / ".mentions-layout"
        kinds = {r["name"]: r["type"] for r in self.run_cypher("CALL table_info('MENTIONS') RETURN name, type")}
        if kinds.get("texts") == "STRING[]":
            log.warning("converting the mention edges of the graph at %s to the current layout (once)", self.folder)
            staging.mkdir(exist_ok=True)
            pairs = REL_TABLES["MENTIONS"][0]
            for _, label in pairs:
                result = self._execute(
                    f"MATCH (a:Article)-[m:MENTIONS]->(e:{label}) RETURN a.pmid AS `from`, e.id AS `to`, m.count AS count, "
                    "list_to_string($sep, m.texts) AS texts, m.score AS score", {"sep": TEXT_SEP})
                pq.write_table(result.get_as_arrow(), staging / f"{label}.parquet")
                result.close()
            columns = ", ".join(f"{name} {kind}" for name, kind in _MENTIONS_STORED)
            with self.transaction():
                self._exec("DROP TABLE MENTIONS")
                self._exec(f"CREATE REL TABLE MENTIONS({', '.join(f'FROM {a} TO {b}' for a, b in pairs)}, {columns})")
                for _, label in pairs:
                    self._exec(f"COPY MENTIONS FROM '{_quote(staging / f'{label}.parquet')}' (from='Article', to='{label}')")
            self._exec("CHECKPOINT")
        if staging.exists():
            for part in staging.iterdir():
                part.unlink()
            staging.rmdir()

    def close(self) -> None:
        """Close the connection and the database file."""
        if self._conn is not None:
            self._conn.close()
            self._db.close()
            self._conn = None
        self._release()

    def transaction(self):
        """A context manager: the statements inside commit together or not at all."""
        return _Transaction(self)

    # ------------------------------------------------------------ public reads
    def set_meta(self, key: str, value: str) -> None:
        self._exec("MERGE (m:Meta {key: $key}) SET m.value = $value", {"key": key, "value": str(value)})

    def find_entities(self, value: str, labels: Iterable[str], *, by: str = "name") -> list[str]:
        """CURIEs of entities whose id is ``value`` (``by="id"``) or whose name or a synonym equals it
        case-insensitively (``by="name"``), most mentioned first."""
        found: list[tuple[int, str]] = []
        for label in labels:
            label = _check(label, ENTITY_LABELS)
            if by == "id":
                where, param = "e.id = $v", value  # the planner turns this into a primary-key lookup
            else:
                where, param = "lower(e.name) = $v OR list_contains(list_transform(e.synonyms, s -> lower(s)), $v)", value.lower()
            for row in self.run_cypher(
                f"MATCH (e:{label}) WHERE {where} OPTIONAL MATCH (e)<-[m:MENTIONS]-() RETURN e.id AS id, count(m) AS n",
                {"v": param},
            ):
                found.append((-int(row["n"]), row["id"]))
        if not found and by == "name":  # entities without a concept are named after one of their mention texts
            for label in labels:
                for row in self.run_cypher(
                    f"MATCH (e:{label})<-[m:MENTIONS]-() WHERE ($sep + lower(m.texts) + $sep) CONTAINS $v "
                    "RETURN e.id AS id, count(m) AS n",
                    {"v": TEXT_SEP + value.lower() + TEXT_SEP, "sep": TEXT_SEP},
                ):
                    found.append((-int(row["n"]), row["id"]))
        return [curie for _, curie in sorted(found)]

    def labels_of(self, curie: str, labels: Iterable[str] = ENTITY_LABELS) -> list[str]:
        """The entity labels that have a node with this CURIE (one primary-key lookup per label, one statement)."""
        labels = [_check(label, ENTITY_LABELS) for label in labels]
        matches = " ".join(f"OPTIONAL MATCH (n{i}:{label} {{id: $v}})" for i, label in enumerate(labels))
        found = ", ".join(f"n{i} IS NOT NULL AS {label}" for i, label in enumerate(labels))
        row = self.run_cypher(f"{matches} RETURN {found}", {"v": curie})[0]
        return [label for label in labels if row[label]]

    def iter_nodes(self, label: str) -> Iterator[dict]:
        """Every node of a table as a dict of its properties."""
        columns, _ = NODE_TABLES[_check(label, NODE_TABLES)]
        ret = ", ".join(f"n.{name} AS {name}" for name, _ in columns)
        yield from self.run_cypher(f"MATCH (n:{label}) RETURN {ret}")

    def iter_edges(self, edge: str) -> Iterator[dict]:
        """Every edge of a rel table: ``from_label``, ``from``, ``to_label``, ``to`` and its properties."""
        pairs, columns = REL_TABLES[_check(edge, REL_TABLES)]
        for a, b in pairs:
            ka, kb = NODE_TABLES[a][1], NODE_TABLES[b][1]
            ret = "".join(f", r.{name} AS {name}" for name, _ in columns)
            for row in self.run_cypher(f"MATCH (a:{a})-[r:{edge}]->(b:{b}) RETURN a.{ka} AS `from`, b.{kb} AS `to`{ret}"):
                if edge == "MENTIONS":
                    row["texts"] = _split_texts(row["texts"])
                yield {"from_label": a, "to_label": b, **row}

    # ------------------------------------------------------------- bulk load
    def bulk_load_parquet(self, folder: str | Path) -> dict:
        """COPY node and edge tables from Parquet files into an empty graph (the fast path for large loads).

        Layout (what ``litgraph export --format parquet`` writes): ``nodes/<Table>.parquet`` with the
        table's columns in schema order, and ``edges/<TYPE>.parquet`` with ``from_label``, ``from``,
        ``to_label``, ``to`` and the edge's columns. Returns rows loaded per table.
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        folder = Path(folder)
        if self.run_cypher("MATCH (a:Article) RETURN count(a) AS n")[0]["n"]:
            raise InputError("bulk load needs an empty graph; use upsert_documents to add to an existing one", path=str(self.folder))
        loaded: dict[str, int] = {}
        for table, (columns, _) in NODE_TABLES.items():
            path = folder / "nodes" / f"{table}.parquet"
            if path.exists():
                names, expected = pq.read_schema(path).names, [c for c, _ in columns]
                missing = [c for c in expected if c not in names]
                if [c for c in expected if c in names] != names or set(missing) - set(ADDED_COLUMNS.get(table, ())):
                    raise InputError(f"columns {names} differ from {expected}", path=str(path))
                if table in ENTITY_LABELS or missing:  # COPY needs every column: the aggregates' are filled below
                    frame = pq.read_table(path)
                    for name, kind in columns:
                        if name in missing:
                            frame = frame.add_column(expected.index(name), name, pa.nulls(frame.num_rows, arrow_type(kind)))
                    for name, kind in ENTITY_AGGREGATES if table in ENTITY_LABELS else ():
                        frame = frame.append_column(name, pa.nulls(frame.num_rows, arrow_type(kind)))
                    self._exec(f"COPY {table} FROM $t", {"t": frame})
                else:
                    self._exec(f"COPY {table} FROM '{_quote(path)}'")
                loaded[table] = pq.read_metadata(path).num_rows
        for table, (pairs, columns) in REL_TABLES.items():
            path = folder / "edges" / f"{table}.parquet"
            if not path.exists():
                continue
            frame = pq.read_table(path)
            loaded[table] = frame.num_rows
            if table == "MENTIONS":  # stored joined (TEXT_SEP), as _write_mentions does
                texts = frame["texts"].combine_chunks()
                texts = pa.ListArray.from_arrays(texts.offsets, pc.replace_substring(texts.values, TEXT_SEP, " "),
                                                 mask=texts.is_null())
                frame = frame.set_column(frame.schema.get_field_index("texts"), "texts",
                                         pc.fill_null(pc.binary_join(texts, TEXT_SEP), ""))
            for a, b in pairs:
                part = _pair_slice(frame, a, b, [c for c, _ in columns])
                if part is not None:
                    self._exec(f"COPY {table} FROM $t (from='{a}', to='{b}')", {"t": part})
        aggregates.rebuild(self)
        return loaded

    # ------------------------------------------------------ write primitives
    def _delete_mentions(self, pmids: list[str]) -> None:
        for part in chunks(pmids):
            table = _arrow([{"pmid": p} for p in part], (("pmid", "STRING"),))
            self._exec("LOAD FROM $t MATCH (:Article {pmid: c_pmid})-[m:MENTIONS]->() DELETE m", {"t": table})

    def _delete_evidence(self, pmids: list[str]) -> None:
        for part in chunks(pmids):
            table = _arrow([{"pmid": p} for p in part], (("pmid", "STRING"),))
            self._exec("LOAD FROM $t MATCH (:Article {pmid: c_pmid})-[:HAS_EVIDENCE]->(e:Evidence) DETACH DELETE e", {"t": table})

    def _delete_article_nodes(self, pmids: list[str]) -> None:
        self._exec("UNWIND $pmids AS p MATCH (a:Article {pmid: p}) DETACH DELETE a", {"pmids": pmids})

    def _write_articles(self, rows: list[dict]) -> None:
        self._exec(
            f"LOAD FROM $t MERGE (a:Article {{pmid: c_pmid}}) SET {_sets(ARTICLE_COLUMNS, 'a', skip=('pmid',))}",
            {"t": _arrow(rows, ARTICLE_COLUMNS)},
        )

    def _create_articles(self, rows: list[dict]) -> None:
        # new articles only (see GraphStore._upsert): COPY appends them, no MERGE lookup per row
        self._exec("COPY Article FROM $t", {"t": _arrow(rows, ARTICLE_COLUMNS, prefix="")})

    def _write_entities(self, label: str, rows: list[dict]) -> None:
        label = _check(label, ENTITY_LABELS)
        sets = _sets(ENTITY_COLUMNS, "e", skip=("id",))
        known = [r for r in rows if r["known"]]
        unknown = [r for r in rows if not r["known"]]
        if known:
            self._exec(f"LOAD FROM $t MERGE (e:{label} {{id: c_id}}) SET {sets}", {"t": _arrow(known, ENTITY_COLUMNS)})
        if unknown:
            self._exec(f"LOAD FROM $t MERGE (e:{label} {{id: c_id}}) ON CREATE SET {sets}", {"t": _arrow(unknown, ENTITY_COLUMNS)})

    def _delete_mention_rows(self, label: str, pairs: list[dict]) -> None:
        self._exec(f"LOAD FROM $t MATCH (:Article {{pmid: c_s}})-[m:MENTIONS]->(:{_check(label, ENTITY_LABELS)} {{id: c_o}}) "
                   "DELETE m", {"t": _arrow(pairs, _PAIR)})

    def _update_mentions(self, label: str, rows: list[dict]) -> None:
        self._exec(
            f"LOAD FROM $t MATCH (:Article {{pmid: c_pmid}})-[m:MENTIONS]->(:{_check(label, ENTITY_LABELS)} {{id: c_id}}) "
            f"SET {_sets(_MENTIONS_STORED, 'm')}",
            {"t": _arrow([{**r, "texts": _join_texts(r["texts"])} for r in rows],
                         (("pmid", "STRING"), ("id", "STRING")) + _MENTIONS_STORED)})

    def _write_mentions(self, label: str, rows: list[dict]) -> None:
        # only rows the article had no edge for reach this (GraphStore._upsert), so every row is a new edge: COPY appends them
        table = _arrow([{"from": r["pmid"], "to": r["id"], **r, "texts": _join_texts(r["texts"])} for r in rows],
                       _REL_KEYS + _MENTIONS_STORED, prefix="")
        self._exec(f"COPY MENTIONS FROM $t (from='Article', to='{_check(label, ENTITY_LABELS)}')", {"t": table})

    def _write_evidence(self, rows: list[dict]) -> None:
        self._exec("COPY Evidence FROM $t", {"t": _arrow(rows, EVIDENCE_COLUMNS, prefix="")})
        links = [{"from": r["pmid"], "to": r["id"]} for r in rows]
        self._exec("COPY HAS_EVIDENCE FROM $t (from='Article', to='Evidence')", {"t": _arrow(links, _REL_KEYS, prefix="")})
        for end, role in (("subject", "SUBJECT"), ("object", "OBJECT")):
            by_label = defaultdict(list)
            for r in rows:
                by_label[r[f"{end}_label"]].append({"from": r["id"], "to": r[end]})
            for label, part in by_label.items():
                self._exec(f"COPY {role} FROM $t (from='Evidence', to='{_check(label, ENTITY_LABELS)}')",
                           {"t": _arrow(part, _REL_KEYS, prefix="")})

    def _evidence_for(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> list[dict]:
        return self.run_cypher(
            f"LOAD FROM $t MATCH (:{_check(subject_label, ENTITY_LABELS)} {{id: c_s}})<-[:SUBJECT]-(e:Evidence) "
            "WHERE e.edge = $edge AND e.object = c_o "
            "RETURN c_s AS s, c_o AS o, e.pmid AS pmid, e.year AS year, e.score AS score, e.model AS model",
            {"t": _arrow(pairs, _PAIR), "edge": edge},
        )

    def _existing_edges(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> set[tuple[str, str]]:
        rows = self.run_cypher(
            f"LOAD FROM $t MATCH (:{_check(subject_label, ENTITY_LABELS)} {{id: c_s}})-[:{_check(edge, EDGE_TYPES)}]->"
            f"(:{_check(object_label, ENTITY_LABELS)} {{id: c_o}}) RETURN DISTINCT c_s AS s, c_o AS o",
            {"t": _arrow(pairs, _PAIR)},
        )
        return {(r["s"], r["o"]) for r in rows}

    def _write_edges(self, edge: str, subject_label: str, object_label: str, rows: list[dict]) -> None:
        edge = _check(edge, EDGE_TYPES)
        self._exec(
            f"LOAD FROM $t MATCH (a:{_check(subject_label, ENTITY_LABELS)} {{id: c_s}}) "
            f"MATCH (b:{_check(object_label, ENTITY_LABELS)} {{id: c_o}}) "
            f"MERGE (a)-[x:{edge}]->(b) SET {_sets(EDGE_COLUMNS, 'x')}",
            {"t": _arrow(rows, _PAIR + EDGE_COLUMNS)},
        )

    def _relieve_memory(self) -> None:
        # measured: with a 512 MiB cache a 10,000-article build fails without checkpoints and loads with them
        try:
            self._exec("CHECKPOINT")
        except _CacheFull as err:  # no room even to checkpoint: the halves that follow are smaller still
            log.info("checkpoint before a smaller retry failed (%s)", err)

    def _create_edges(self, edge: str, subject_label: str, object_label: str, rows: list[dict]) -> None:
        # new edges only (see GraphStore._recompute): COPY appends them, no MERGE lookup per row
        table = _arrow([{"from": r["s"], "to": r["o"], **r} for r in rows], _REL_KEYS + EDGE_COLUMNS, prefix="")
        self._exec(f"COPY {_check(edge, EDGE_TYPES)} FROM $t (from='{_check(subject_label, ENTITY_LABELS)}', "
                   f"to='{_check(object_label, ENTITY_LABELS)}')", {"t": table})

    def _delete_edges(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> None:
        self._exec(
            f"UNWIND $pairs AS k MATCH (:{_check(subject_label, ENTITY_LABELS)} {{id: k.s}})-[x:{_check(edge, EDGE_TYPES)}]->"
            f"(:{_check(object_label, ENTITY_LABELS)} {{id: k.o}}) DELETE x",
            {"pairs": pairs},
        )

    def _delete_orphans(self, label: str, ids: list[str]) -> None:
        self._exec(
            f"UNWIND $ids AS i MATCH (e:{_check(label, ENTITY_LABELS)} {{id: i}}) "
            "WHERE NOT EXISTS { MATCH (e)<-[:MENTIONS]-() } AND NOT EXISTS { MATCH (e)<-[:SUBJECT]-() } "
            "AND NOT EXISTS { MATCH (e)<-[:OBJECT]-() } DETACH DELETE e",
            {"ids": ids},
        )

    # ------------------------------------------- aggregates (litgraph.store.aggregates)
    def _article_mentions(self, pmids: list[str]) -> dict[str, dict[tuple[str, str], tuple]]:
        found: dict[str, dict[tuple[str, str], tuple]] = defaultdict(dict)
        for part in chunks(pmids):
            result = self._execute(
                "UNWIND $pmids AS p MATCH (a:Article {pmid: p})-[m:MENTIONS]->(e) RETURN a.pmid AS pmid, label(e) AS label, "
                "e.id AS id, m.count AS count, m.texts AS texts, m.score AS score",
                {"pmids": part},
            )
            columns = result.get_as_arrow().to_pydict()
            result.close()
            for pmid, label, curie, count, texts, score in zip(*(columns[c] for c in ("pmid", "label", "id", "count", "texts", "score"))):
                found[pmid][(label, curie)] = (count, tuple(_split_texts(texts)), score)
        return dict(found)

    def _article_entities(self, pmids: list[str]) -> dict[str, set[tuple[str, str]]]:
        found: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for part in chunks(pmids):
            result = self._execute(
                "UNWIND $pmids AS p MATCH (a:Article {pmid: p})-[:MENTIONS]->(e) RETURN a.pmid AS pmid, label(e) AS label, e.id AS id",
                {"pmids": part},
            )
            columns = result.get_as_arrow().to_pydict()
            result.close()
            for pmid, label, curie in zip(columns["pmid"], columns["label"], columns["id"]):
                found[pmid].add((label, curie))
        return dict(found)

    def _add_co_mentions(self, label_a: str, label_b: str, frame, fresh: bool) -> None:
        import pyarrow as pa

        la, lb = _check(label_a, ENTITY_LABELS), _check(label_b, ENTITY_LABELS)
        found = {}
        if not fresh:
            table = pa.Table.from_pandas(frame.rename(columns=lambda c: "c_" + c), preserve_index=False)
            found = {(r["s"], r["o"]): r["n"] for r in self.run_cypher(
                f"LOAD FROM $t MATCH (:{la} {{id: c_s}})-[c:{CO_MENTIONED}]->(:{lb} {{id: c_o}}) "
                "SET c.articles = c.articles + c_d RETURN c_s AS s, c_o AS o, c.articles AS n", {"t": table})}
        gone = [{"s": s, "o": o} for (s, o), n in found.items() if n <= 0]
        if gone:
            self._exec(f"LOAD FROM $t MATCH (:{la} {{id: c_s}})-[c:{CO_MENTIONED}]->(:{lb} {{id: c_o}}) DELETE c",
                       {"t": _arrow(gone, _PAIR)})
        new = frame[frame.d > 0]
        if found:
            new = new[[(s, o) not in found for s, o in zip(new.s, new.o)]]
        if len(new):
            table = pa.Table.from_pandas(new.rename(columns={"s": "from", "o": "to", "d": "articles"}), preserve_index=False)
            self._exec(f"COPY {CO_MENTIONED} FROM $t (from='{la}', to='{lb}')", {"t": table})

    def _recount_articles(self, label: str, ids: list[str]) -> None:
        self._exec(
            f"UNWIND $ids AS i MATCH (e:{_check(label, ENTITY_LABELS)} {{id: i}}) OPTIONAL MATCH (e)<-[m:MENTIONS]-() "
            "WITH e, count(m) AS n SET e.articles = n",
            {"ids": ids},
        )


class _CacheFull(TransactionTooLarge):
    """The page cache cannot hold what one transaction needs; the transaction was rolled back whole."""


class _RolledBack(LitgraphError):
    """A statement failed and LadybugDB has already rolled the open transaction back."""


def _error(err: RuntimeError, folder: Path) -> LitgraphError:
    """A LadybugDB error as a litgraph error: a statement LadybugDB cannot parse or bind (a query file, a
    parameter) exits 2; anything else (disk, page cache, corruption) exits 1. Both say what to do."""
    text = str(err)
    if "buffer pool is full" in text:
        return _CacheFull(
            f"the embedded graph's page cache is full ({text}); raise LITGRAPH_BUFFER_POOL_MB (MiB)"
        )
    if "No active transaction" in text:
        return _RolledBack(text)
    if text.startswith(("Parser exception", "Binder exception", "Catalog exception")):
        return InputError(f"the embedded graph refused the statement: {text}; check the query and its parameters")
    return LitgraphError(f"the embedded graph at {folder} failed: {text}; run the command again with LITGRAPH_DEBUG=1 "
                         "for details, and if it persists rebuild the graph")


def _quote(path: Path) -> str:
    text = str(path.resolve())
    if "'" in text:
        raise InputError("a path used by COPY may not contain a quote", path=text)
    return text


def _pair_slice(frame, a: str, b: str, columns: list[str]):
    """Rows of an edge table between labels a and b, as ``from``, ``to`` and the columns (None when empty)."""
    import pyarrow.compute as pc

    mask = pc.and_(pc.equal(frame["from_label"], a), pc.equal(frame["to_label"], b))
    part = frame.filter(mask)
    if part.num_rows == 0:
        return None
    return part.select(["from", "to", *columns])


def _forget_table_statements(conn) -> None:
    """Drop the statements LadybugDB's Python connection (0.22) cached for earlier Arrow-table parameters.

    It caches one prepared statement per statement text *and table object*, each holding its table, and never
    evicts them: every ``LOAD FROM $t`` / ``COPY ... FROM $t`` of a build stayed in memory, so RSS grew with
    the data written (about 100 MB per 140 articles rewritten) and the page cache filled up. Called before the
    next statement, when the previous result has been read and closed.
    """
    cache = getattr(conn, "_pybind_implicit_prepared_cache", None)
    if cache:
        for key in [k for k in cache if any(sig[:1] == ("pointer",) for _, sig in k[1])]:
            del cache[key]


class _Transaction:
    def __init__(self, store: LadybugStore):
        self.store = store

    def __enter__(self):
        self.store._exec("BEGIN TRANSACTION")
        self.store._in_tx = True
        return self.store

    def __exit__(self, kind, value, tb):
        try:
            if kind is None:
                self.store._exec("COMMIT")
                return False
            try:
                self.store._exec("ROLLBACK")
            except _RolledBack:  # a failed statement has already rolled the transaction back
                pass
            return False
        finally:
            self.store._in_tx = False
