"""The graph store on Neo4j 5 through the official driver. All of litgraph's Neo4j Cypher is in this module.

Unique constraints come first (``IF NOT EXISTS``); every entity node also carries the label ``Entity``
(indexed on ``id``) so that the query library can look an entity up without knowing its type. Writes
are ``UNWIND $rows`` batches with parameters only: labels and relationship types, which Cypher cannot
take as parameters, come from the fixed schema (``litgraph.store.schema``), never from input. One
``upsert_documents`` or ``delete_articles`` call is one write transaction, retried whole on transient errors
(one refused memory is split by ``GraphStore`` instead); other statements go through ``driver.execute_query``
(also retried). Credentials come from ``Settings`` (``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``).
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

from litgraph.errors import InputError, LitgraphError, TransactionTooLarge
from litgraph.store import aggregates
from litgraph.store.base import GraphStore, chunks, gc_paused, read_ahead
from litgraph.store.schema import CO_MENTIONED, EDGE_INDEXES, EDGE_TYPES, ENTITY_LABELS, NODE_TABLES, REL_TABLES

log = logging.getLogger(__name__)

_LABEL_OF = "[l IN labels({v}) WHERE l <> 'Entity'][0]"
#: Both ends of each row ``k`` of a list of pairs, by the element ids ``k.a`` and ``k.b`` (``Neo4jStore._id_pairs``).
#: An edge between them is matched inside ``CALL { WITH a, b ... }``: with both ends bound the planner expands from
#: one into the other (Expand(Into), the cheaper side); a plain MATCH after two id seeks walks every edge of one end.
_ENDS = "UNWIND {rows} AS k MATCH (a:Entity) WHERE elementId(a) = k.a MATCH (b:Entity) WHERE elementId(b) = k.b "
#: The server refused a transaction more memory (``dbms.memory.transaction.total.max`` / ``db.memory.transaction.max``).
_OUT_OF_TRANSACTION_MEMORY = "Neo.TransientError.General.MemoryPoolOutOfMemoryError"
#: How long a write transaction is retried on transient errors (deadlocks, a leader switch), as the driver's default.
RETRY_SECONDS = 30.0


def _check(name: str, allowed: Iterable[str]) -> str:
    if name not in allowed:
        raise LitgraphError(f"unknown label or type {name!r}")
    return name


#: Row ``i`` of parameters sent as one list per column: ``$name[i]`` (the bulk load's form). Lists pack and unpack
#: faster than a map per row (no key strings per row); ``first`` names a column, whose length is the number of rows.
_BY_INDEX = "UNWIND range(0, size(${first}) - 1) AS i "


def _props(row: dict, skip: tuple[str, ...]) -> dict:
    """Split a row into its key fields and a ``props`` map (None values remove the property)."""
    return {k: v for k, v in row.items() if k not in skip}


class Neo4jStore(GraphStore):
    """A ``GraphStore`` on a Neo4j 5 server."""

    backend = "neo4j"

    def __init__(self, uri: str, username: str = "neo4j", password: str | None = None, database: str | None = None,
                 *, settings=None):
        import neo4j

        self.settings = settings
        self.database = database
        self.uri = uri
        self._username = username or "neo4j"
        self._has_password = password is not None
        # without a password the driver connects without credentials (a server with auth off accepts that);
        # server notifications (missing labels/properties on a fresh graph...) are off: they are not errors
        auth = (self._username, password) if password is not None else None
        self._driver = neo4j.GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
        try:
            self._driver.verify_connectivity()
        except (neo4j.exceptions.ServiceUnavailable, OSError) as err:
            self._driver.close()
            raise LitgraphError(f"cannot reach Neo4j at {uri} ({type(err).__name__}); is the server up "
                                "(docker compose up -d) and is the URI (--graph / LITGRAPH_GRAPH) right?") from err
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as err:
            self._driver.close()
            raise self._error(err) from err
        self._tx = None
        self._ids: dict[tuple[str, str], str] | None = None  # (label, key) -> elementId, in the open transaction only
        self._create_schema()
        aggregates.ensure(self)

    def _error(self, err: Exception) -> LitgraphError:
        """A driver error as a litgraph error: exit 2 for what the user can fix (credentials, a statement
        or parameters the server refuses), 1 for the server's own failures. Never the password."""
        from neo4j import exceptions as ne

        if isinstance(err, LitgraphError):
            return err
        if isinstance(err, ne.TransientError) and err.code == _OUT_OF_TRANSACTION_MEMORY:
            return TransactionTooLarge(
                f"a write did not fit Neo4j's transaction memory ({err.message}); give the server more heap "
                "(server.memory.heap.max_size, NEO4J_HEAP in docker-compose.yml) or load smaller batches (--batch-size)")
        if isinstance(err, ne.AuthError):
            if not self._has_password:
                return InputError(f"Neo4j at {self.uri} needs a password: set NEO4J_PASSWORD "
                                  f"(and NEO4J_USERNAME, now {self._username!r})")
            return InputError(f"Neo4j at {self.uri} refused user {self._username!r} with the password in NEO4J_PASSWORD; "
                              "set NEO4J_USERNAME and NEO4J_PASSWORD to valid credentials")
        if isinstance(err, ne.Forbidden):
            return InputError(f"Neo4j at {self.uri} does not allow this for user {self._username!r} ({err.message}); "
                              "use a user with write access (NEO4J_USERNAME)")
        if isinstance(err, (ne.ServiceUnavailable, ne.SessionExpired, ne.SessionError)):
            return LitgraphError(f"Neo4j at {self.uri} stopped answering ({type(err).__name__}); "
                                 "check that the server is up, then run the command again (loads are idempotent)")
        if isinstance(err, ne.ClientError) and not isinstance(err, ne.ConstraintError):
            if "database" in (err.code or "").lower() and "notfound" in (err.code or "").lower().replace("_", ""):
                return InputError(f"Neo4j at {self.uri} has no database {self.database!r}; fix NEO4J_DATABASE")
            return InputError(f"Neo4j refused the statement: {err.message} ({err.code}); check the query and its parameters")
        if isinstance(err, ne.Neo4jError):
            return LitgraphError(f"Neo4j failed: {err.message} ({err.code}); see the server's log and run the command again")
        return LitgraphError(f"Neo4j driver error ({type(err).__name__}): {err}")

    # --------------------------------------------------------------- plumbing
    def run_cypher(self, text: str, params: dict | None = None) -> list[dict]:
        """Run one statement (inside the open transaction if there is one); rows as dicts."""
        if self._tx is not None:  # errors pass through: the managed transaction retries transient ones
            return self._tx.run(text, params or {}).data()
        from neo4j import exceptions as ne

        try:
            records, _, _ = self._driver.execute_query(text, params or {}, database_=self.database)
        except (ne.Neo4jError, ne.DriverError) as err:
            raise self._error(err) from err
        return [r.data() for r in records]

    def _create_schema(self) -> None:
        for label, (_, key) in NODE_TABLES.items():
            self.run_cypher(
                f"CREATE CONSTRAINT {label.lower()}_{key} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
            )
        self.run_cypher("CREATE INDEX entity_id IF NOT EXISTS FOR (n:Entity) ON (n.id)")
        # the evidence of one aggregated edge, found without walking every SUBJECT edge of a popular entity
        self.run_cypher("CREATE INDEX evidence_edge IF NOT EXISTS FOR (e:Evidence) ON (e.subject, e.object, e.edge)")
        self.run_cypher("CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name)")
        # top-entities reads the entities in order of this precomputed count (litgraph.store.aggregates)
        self.run_cypher("CREATE INDEX entity_articles IF NOT EXISTS FOR (n:Entity) ON (n.articles)")
        for edge in EDGE_TYPES:  # schema.EDGE_INDEXES: new-since seeks each edge type by first_year
            for name in EDGE_INDEXES:
                self.run_cypher(f"CREATE INDEX {edge.lower()}_{name} IF NOT EXISTS FOR ()-[r:{edge}]-() ON (r.{name})")

    def close(self) -> None:
        self._driver.close()

    def _in_transaction(self, work, *args):
        """Run ``work(*args)`` as one write transaction, retried whole on transient errors for up to
        ``RETRY_SECONDS`` (it is safe to repeat: an upsert first removes what it writes), as the driver's
        ``execute_write`` does, except that a transaction refused memory is not retried at the same size: it
        raises ``TransactionTooLarge`` at once, from a statement or from the commit, so that the caller splits it."""
        from neo4j import exceptions as ne

        deadline, delay = time.monotonic() + RETRY_SECONDS, 1.0
        while True:
            try:
                with self._driver.session(database=self.database) as session, session.begin_transaction() as tx:
                    # element ids are valid within one transaction: the cache starts empty with every try of it
                    self._tx, self._ids = tx, {}
                    try:
                        result = work(*args)
                    finally:
                        self._tx, self._ids = None, None
                    tx.commit()
                    return result
            except (ne.Neo4jError, ne.DriverError) as err:
                if getattr(err, "code", None) == _OUT_OF_TRANSACTION_MEMORY or not err.is_retryable() \
                        or time.monotonic() + delay > deadline:
                    raise self._error(err) from err
                log.info("Neo4j transaction failed (%s); retrying in %.1f s", err, delay)
                time.sleep(delay * random.uniform(0.8, 1.2))
                delay *= 2

    def clear(self) -> None:
        """Delete every node and relationship of the database (its schema stays), relationships first and in
        batches: one transaction for a large graph, or a popular entity's ``DETACH DELETE``, can exceed the
        server's transaction memory."""
        for statement in ("MATCH ()-[r]->() WITH r LIMIT 50000 DELETE r RETURN count(*) AS c",
                          "MATCH (n) WITH n LIMIT 50000 DELETE n RETURN count(*) AS c"):
            while self.run_cypher(statement)[0]["c"]:
                pass

    # ------------------------------------------------------------ public reads
    def set_meta(self, key: str, value: str) -> None:
        self.run_cypher("MERGE (m:Meta {key: $key}) SET m.value = $value", {"key": key, "value": str(value)})

    def find_entities(self, value: str, labels: Iterable[str], *, by: str = "name") -> list[str]:
        found: list[tuple[int, str]] = []
        for label in labels:
            label = _check(label, ENTITY_LABELS)
            if by == "id":
                text, param = f"MATCH (e:{label} {{id: $v}}) RETURN e.id AS id, 0 AS n", value
            else:
                text = (f"MATCH (e:{label}) WHERE toLower(e.name) = $v OR any(s IN coalesce(e.synonyms, []) WHERE toLower(s) = $v) "
                        "OPTIONAL MATCH (e)<-[m:MENTIONS]-() RETURN e.id AS id, count(m) AS n")
                param = value.lower()
            found += [(-int(r["n"]), r["id"]) for r in self.run_cypher(text, {"v": param})]
        if not found and by == "name":
            for label in labels:
                found += [(-int(r["n"]), r["id"]) for r in self.run_cypher(
                    f"MATCH (e:{_check(label, ENTITY_LABELS)})<-[m:MENTIONS]-() "
                    "WHERE any(s IN coalesce(m.texts, []) WHERE toLower(s) = $v) RETURN e.id AS id, count(m) AS n",
                    {"v": value.lower()},
                )]
        return [curie for _, curie in sorted(found)]

    def iter_nodes(self, label: str) -> Iterator[dict]:
        columns, _ = NODE_TABLES[_check(label, NODE_TABLES)]
        for row in self.run_cypher(f"MATCH (n:{label}) RETURN properties(n) AS p"):
            yield {name: row["p"].get(name) for name, _ in columns}

    def iter_edges(self, edge: str) -> Iterator[dict]:
        _, columns = REL_TABLES[_check(edge, REL_TABLES)]
        for row in self.run_cypher(
            f"MATCH (a)-[r:{edge}]->(b) RETURN {_LABEL_OF.format(v='a')} AS from_label, coalesce(a.id, a.pmid) AS `from`, "
            f"{_LABEL_OF.format(v='b')} AS to_label, coalesce(b.id, b.pmid) AS `to`, properties(r) AS p"
        ):
            p = row.pop("p")
            yield {**row, **{name: p.get(name) for name, _ in columns}}

    # ------------------------------------------------------------- bulk load
    def bulk_load_parquet(self, folder: str | Path, batch: int = 5_000) -> dict:
        """Load the Parquet layout of ``litgraph export --format parquet`` with UNWIND batches into an empty graph.

        Nodes are created first and remembered by element id, so that every edge is created between two id
        seeks (no index seek by key); the aggregates are computed from the ``MENTIONS`` table just loaded
        rather than read back from the server. Each batch is read from Parquet and turned into parameters on a
        thread of its own while the server runs the one before (``read_ahead``), and goes as one list per
        column (``$c[i]``), which packs and unpacks faster than a map per row. For very large graphs
        ``litgraph export --format neo4j-import`` and ``neo4j-admin database import`` are faster.
        """
        folder = Path(folder)
        if self.run_cypher("MATCH (a:Article) RETURN count(a) AS n")[0]["n"]:
            raise InputError("bulk load needs an empty graph; use upsert_documents to add to an existing one")
        with gc_paused():  # millions of short-lived lists and strings, no cycles
            return self._bulk_load(folder, batch)

    def _bulk_load(self, folder: Path, batch: int) -> dict:
        import pyarrow.parquet as pq

        loaded: dict[str, int] = {}
        ids: dict[tuple[str, str], str] = {}  # (label, key) -> elementId of every node this load created

        def node_batches():
            for table, (columns, key) in NODE_TABLES.items():
                path = folder / "nodes" / f"{table}.parquet"
                if path.exists():
                    file = pq.ParquetFile(path)
                    # the schema's columns only: property names go into the statement, so never from the file
                    names = [name for name, _ in columns if name in file.schema_arrow.names]
                    for rows in file.iter_batches(batch_size=batch, columns=names):
                        yield table, key, rows.num_rows, rows.to_pydict()

        for table, key, n, cols in read_ahead(node_batches()):
            extra = ":Entity" if table in ENTITY_LABELS else ""
            props = ", ".join(f"{name}: ${name}[i]" for name in cols)
            found = self.run_cypher(_BY_INDEX.format(first=key) + f"CREATE (n:{table}{extra} {{{props}}}) "
                                    "RETURN collect(i) AS i, collect(elementId(n)) AS n", cols)[0]
            ids.update(((table, cols[key][i]), element) for i, element in zip(found["i"], found["n"]))
            loaded[table] = loaded.get(table, 0) + n
        mentioned: dict[str, set[tuple[str, str]]] = defaultdict(set)

        def edge_batches():
            for table, (_, columns) in REL_TABLES.items():
                path = folder / "edges" / f"{table}.parquet"
                if not path.exists():
                    continue
                for rows in pq.ParquetFile(path).iter_batches(batch_size=batch):
                    cols = rows.to_pydict()
                    ends = [(ids.get((la, a)), ids.get((lb, b)))
                            for la, a, lb, b in zip(cols["from_label"], cols["from"], cols["to_label"], cols["to"])]
                    # an end that is not in the node tables: no edge (as a MATCH by key)
                    keep = [i for i, (a, b) in enumerate(ends) if a is not None and b is not None]
                    if table == "MENTIONS":
                        for i in keep:
                            mentioned[cols["from"][i]].add((cols["to_label"][i], cols["to"][i]))
                    params = {"a_": [ends[i][0] for i in keep], "b_": [ends[i][1] for i in keep],
                              **{name: [cols[name][i] for i in keep] for name, _ in columns}}
                    yield table, columns, rows.num_rows, params

        for table, columns, n, params in read_ahead(edge_batches()):
            props = ", ".join(f"{name}: ${name}[i]" for name, _ in columns)
            self.run_cypher(_BY_INDEX.format(first="a_") + "MATCH (a) WHERE elementId(a) = $a_[i] "
                            f"MATCH (b) WHERE elementId(b) = $b_[i] CREATE (a)-[:{table}{' {' + props + '}' if props else ''}]->(b)",
                            params)
            loaded[table] = loaded.get(table, 0) + n
        # aggregates.rebuild, with the mentions known here and the nodes' element ids (nothing read back)
        if self.run_cypher("MATCH ()-[c:CO_MENTIONED]->() RETURN count(c) AS n")[0]["n"]:
            self.run_cypher("MATCH ()-[c:CO_MENTIONED]->() DELETE c")
        self._ids = ids
        try:
            aggregates.refresh(self, {}, dict(mentioned), fresh=True)
        finally:
            self._ids = None
        self.set_meta("aggregates", aggregates.VERSION)
        return loaded

    # ------------------------------------------------------ write primitives
    # Inside a transaction every node is written or found once by its key (an index seek) and then addressed by
    # its element id (``_node_ids``): relationship writes, co-mention counts and recounts seek nodes by id, which
    # is cheaper than a unique-index seek, most of all for nodes created in the same transaction (the seek must
    # merge the transaction's own index changes).
    def _remember(self, label: str, rows: list[dict]) -> None:
        if self._ids is not None:
            for r in rows:
                self._ids[(label, r["k"])] = r["n"]

    def _node_ids(self, label: str, keys: Iterable[str]) -> dict[str, str]:
        """``{key: elementId}`` of the nodes of ``label`` with these keys that exist (cached in the transaction)."""
        cache = self._ids if self._ids is not None else {}
        keys = list(dict.fromkeys(keys))
        missing = [k for k in keys if (label, k) not in cache]
        key = NODE_TABLES[_check(label, NODE_TABLES)][1]
        for part in chunks(missing):
            for r in self.run_cypher(f"UNWIND $keys AS k MATCH (n:{label} {{{key}: k}}) RETURN k, elementId(n) AS n",
                                     {"keys": part}):
                cache[(label, r["k"])] = r["n"]
        return {k: cache[(label, k)] for k in keys if (label, k) in cache}

    def _forget(self, label: str, keys: Iterable[str]) -> None:
        if self._ids is not None:
            for k in keys:
                self._ids.pop((label, k), None)

    def _id_pairs(self, subject_label: str, object_label: str, pairs: list[dict]) -> list[dict]:
        """``pairs`` (``s``, ``o``) with the element ids ``a``, ``b`` of both ends; pairs with an end missing are left out."""
        subjects = self._node_ids(subject_label, (p["s"] for p in pairs))
        objects = self._node_ids(object_label, (p["o"] for p in pairs))
        return [{**p, "a": subjects[p["s"]], "b": objects[p["o"]]} for p in pairs if p["s"] in subjects and p["o"] in objects]

    def _delete_mentions(self, pmids: list[str]) -> None:
        for part in chunks(pmids):
            self.run_cypher("UNWIND $pmids AS p MATCH (:Article {pmid: p})-[m:MENTIONS]->() DELETE m", {"pmids": part})

    def _delete_mention_rows(self, label: str, pairs: list[dict]) -> None:
        self.run_cypher(f"UNWIND $pairs AS k MATCH (:Article {{pmid: k.s}})-[m:MENTIONS]->(:{_check(label, ENTITY_LABELS)} {{id: k.o}}) "
                        "DELETE m", {"pairs": pairs})

    def _update_mentions(self, label: str, rows: list[dict]) -> None:
        self.run_cypher(
            f"UNWIND $rows AS r MATCH (:Article {{pmid: r.pmid}})-[m:MENTIONS]->(:{_check(label, ENTITY_LABELS)} {{id: r.id}}) "
            "SET m.count = r.count, m.texts = r.texts, m.score = r.score", {"rows": rows})

    def _delete_evidence(self, pmids: list[str]) -> None:
        for part in chunks(pmids):
            self.run_cypher("UNWIND $pmids AS p MATCH (:Article {pmid: p})-[:HAS_EVIDENCE]->(e:Evidence) DETACH DELETE e",
                            {"pmids": part})

    def _delete_article_nodes(self, pmids: list[str]) -> None:
        self.run_cypher("UNWIND $pmids AS p MATCH (a:Article {pmid: p}) DETACH DELETE a", {"pmids": pmids})
        self._forget("Article", pmids)

    def _write_articles(self, rows: list[dict]) -> None:
        self._remember("Article", self.run_cypher(
            "UNWIND $rows AS r MERGE (a:Article {pmid: r.pmid}) SET a += r.props RETURN r.pmid AS k, elementId(a) AS n",
            {"rows": [{"pmid": r["pmid"], "props": _props(r, ("pmid",))} for r in rows]}))

    def _create_articles(self, rows: list[dict]) -> None:
        # new articles only (see GraphStore._upsert): CREATE, no MERGE lookup
        self._remember("Article", self.run_cypher(
            "UNWIND $rows AS r CREATE (a:Article {pmid: r.pmid}) SET a += r.props RETURN r.pmid AS k, elementId(a) AS n",
            {"rows": [{"pmid": r["pmid"], "props": _props(r, ("pmid",))} for r in rows]}))

    def _write_entities(self, label: str, rows: list[dict]) -> None:
        label = _check(label, ENTITY_LABELS)
        wrap = [{"id": r["id"], "props": _props(r, ("id", "known"))} for r in rows if r["known"]]
        if wrap:
            self._remember(label, self.run_cypher(
                f"UNWIND $rows AS r MERGE (e:{label} {{id: r.id}}) SET e:Entity, e += r.props RETURN r.id AS k, elementId(e) AS n",
                {"rows": wrap}))
        wrap = [{"id": r["id"], "props": _props(r, ("id", "known"))} for r in rows if not r["known"]]
        if wrap:
            self._remember(label, self.run_cypher(
                f"UNWIND $rows AS r MERGE (e:{label} {{id: r.id}}) ON CREATE SET e:Entity, e += r.props "
                "RETURN r.id AS k, elementId(e) AS n", {"rows": wrap}))

    def _write_mentions(self, label: str, rows: list[dict]) -> None:
        # flat rows and literal property maps: no nested map per row to pack and unpack
        articles = self._node_ids("Article", (r["pmid"] for r in rows))
        entities = self._node_ids(label, (r["id"] for r in rows))
        self.run_cypher(
            "UNWIND $rows AS r MATCH (a:Article) WHERE elementId(a) = r.a MATCH (e:Entity) WHERE elementId(e) = r.e "
            "CREATE (a)-[:MENTIONS {count: r.count, texts: r.texts, score: r.score}]->(e)",
            {"rows": [{"a": articles[r["pmid"]], "e": entities[r["id"]], "count": r["count"], "texts": r["texts"],
                       "score": r["score"]} for r in rows if r["pmid"] in articles and r["id"] in entities]},
        )

    def _write_evidence(self, rows: list[dict]) -> None:
        # one statement for all label pairs: the Evidence node and its three edges together, the ends by element id
        articles = self._node_ids("Article", (r["pmid"] for r in rows))
        ends: dict[str, dict[str, str]] = {}
        for label in sorted({r["subject_label"] for r in rows} | {r["object_label"] for r in rows}):
            ends[label] = self._node_ids(label, [r["subject"] for r in rows if r["subject_label"] == label]
                                         + [r["object"] for r in rows if r["object_label"] == label])
        columns = ", ".join(f"{name}: r.{name}" for name, _ in NODE_TABLES["Evidence"][0])
        self.run_cypher(
            "UNWIND $rows AS r MATCH (a:Article) WHERE elementId(a) = r.a_ MATCH (s:Entity) WHERE elementId(s) = r.s_ "
            "MATCH (o:Entity) WHERE elementId(o) = r.o_ "
            f"CREATE (a)-[:HAS_EVIDENCE]->(v:Evidence {{{columns}}})-[:SUBJECT]->(s) CREATE (v)-[:OBJECT]->(o)",
            {"rows": [{**r, "a_": articles[r["pmid"]], "s_": ends[r["subject_label"]][r["subject"]],
                       "o_": ends[r["object_label"]][r["object"]]} for r in rows
                      if r["pmid"] in articles and r["subject"] in ends[r["subject_label"]] and r["object"] in ends[r["object_label"]]]},
        )

    def _evidence_for(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> list[dict]:
        return self.run_cypher(
            "UNWIND $pairs AS k MATCH (e:Evidence) WHERE e.subject = k.s AND e.object = k.o AND e.edge = $edge "
            "AND e.subject_label = $sl AND e.object_label = $ol "
            "RETURN k.s AS s, k.o AS o, e.pmid AS pmid, e.year AS year, e.score AS score, e.model AS model",
            {"pairs": pairs, "edge": edge, "sl": _check(subject_label, ENTITY_LABELS), "ol": _check(object_label, ENTITY_LABELS)},
        )

    def _existing_edges(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> set[tuple[str, str]]:
        rows = self.run_cypher(
            _ENDS.format(rows="$pairs") + f"CALL {{ WITH a, b MATCH (a)-[:{_check(edge, EDGE_TYPES)}]->(b) RETURN 1 AS found LIMIT 1 }} "
            "RETURN k.s AS s, k.o AS o",
            {"pairs": self._id_pairs(subject_label, object_label, pairs)},
        )
        return {(r["s"], r["o"]) for r in rows}

    def _write_edges(self, edge: str, subject_label: str, object_label: str, rows: list[dict]) -> None:
        self.run_cypher(
            _ENDS.format(rows="$rows") + f"MERGE (a)-[x:{_check(edge, EDGE_TYPES)}]->(b) "
            "SET x.evidence_count = k.evidence_count, x.pmids = k.pmids, x.first_year = k.first_year, "
            "x.last_year = k.last_year, x.score = k.score, x.model = k.model",
            {"rows": self._id_pairs(subject_label, object_label, rows)},
        )

    def _create_edges(self, edge: str, subject_label: str, object_label: str, rows: list[dict]) -> None:
        # new edges only (see GraphStore._recompute): CREATE, no MERGE check of the pair's existing edges
        self.run_cypher(
            _ENDS.format(rows="$rows") + f"CREATE (a)-[:{_check(edge, EDGE_TYPES)} {{evidence_count: k.evidence_count, pmids: k.pmids, "
            "first_year: k.first_year, last_year: k.last_year, score: k.score, model: k.model}]->(b)",
            {"rows": self._id_pairs(subject_label, object_label, rows)},
        )

    def _delete_edges(self, edge: str, subject_label: str, object_label: str, pairs: list[dict]) -> None:
        self.run_cypher(
            _ENDS.format(rows="$pairs") + f"CALL {{ WITH a, b MATCH (a)-[x:{_check(edge, EDGE_TYPES)}]->(b) DELETE x }}",
            {"pairs": self._id_pairs(subject_label, object_label, pairs)},
        )

    def _delete_orphans(self, label: str, ids: list[str]) -> None:
        gone = self.run_cypher(
            f"UNWIND $ids AS i MATCH (e:{_check(label, ENTITY_LABELS)} {{id: i}}) "
            "WHERE NOT EXISTS { (e)<-[:MENTIONS]-() } AND NOT EXISTS { (e)<-[:SUBJECT]-() } "
            "AND NOT EXISTS { (e)<-[:OBJECT]-() } DETACH DELETE e RETURN i",
            {"ids": ids},
        )
        self._forget(label, (r["i"] for r in gone))

    # ------------------------------------------- aggregates (litgraph.store.aggregates)
    def _article_mentions(self, pmids: list[str]) -> dict[str, dict[tuple[str, str], tuple]]:
        found: dict[str, dict[tuple[str, str], tuple]] = defaultdict(dict)
        for part in chunks(pmids):
            for r in self.run_cypher(
                f"UNWIND $pmids AS p MATCH (a:Article {{pmid: p}})-[m:MENTIONS]->(e) RETURN a.pmid AS pmid, "
                f"{_LABEL_OF.format(v='e')} AS label, e.id AS id, m.count AS count, m.texts AS texts, m.score AS score",
                {"pmids": part},
            ):
                found[r["pmid"]][(r["label"], r["id"])] = (r["count"], tuple(r["texts"] or ()), r["score"])
        return dict(found)

    def _article_entities(self, pmids: list[str]) -> dict[str, set[tuple[str, str]]]:
        found: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for part in chunks(pmids):
            for r in self.run_cypher(
                f"UNWIND $pmids AS p MATCH (a:Article {{pmid: p}})-[:MENTIONS]->(e) "
                f"RETURN a.pmid AS pmid, {_LABEL_OF.format(v='e')} AS label, e.id AS id",
                {"pmids": part},
            ):
                found[r["pmid"]].add((r["label"], r["id"]))
        return dict(found)

    def _add_co_mentions(self, label_a: str, label_b: str, frame, fresh: bool) -> None:
        # the ends by element id; a pair with an end gone (an orphan removed in this transaction) has no edge left
        if fresh:  # no co-mention edges yet (a bulk load): append, one list per column (as bulk_load_parquet)
            firsts, seconds = self._node_ids(label_a, frame.s), self._node_ids(label_b, frame.o)
            kept = [(firsts[s], seconds[o], int(d)) for s, o, d in zip(frame.s, frame.o, frame.d) if s in firsts and o in seconds]
            for part in chunks(kept):
                a, b, d = (list(column) for column in zip(*part))
                self.run_cypher(_BY_INDEX.format(first="a") + "MATCH (a:Entity) WHERE elementId(a) = $a[i] "
                                f"MATCH (b:Entity) WHERE elementId(b) = $b[i] CREATE (a)-[:{CO_MENTIONED} {{articles: $d[i]}}]->(b)",
                                {"a": a, "b": b, "d": d})
            return
        rows = self._id_pairs(label_a, label_b, frame.to_dict("records"))
        gained = [r for r in rows if r["d"] > 0]
        lost = [r for r in rows if r["d"] < 0]
        ends = _ENDS.format(rows="$rows")
        for part in chunks(gained):  # one statement finds or creates the edge (no second pair of seeks for the new ones)
            self.run_cypher(ends + f"MERGE (a)-[c:{CO_MENTIONED}]->(b) "
                            "ON CREATE SET c.articles = k.d ON MATCH SET c.articles = c.articles + k.d", {"rows": part})
        for part in chunks(lost):
            self.run_cypher(ends + f"CALL {{ WITH a, b MATCH (a)-[c:{CO_MENTIONED}]->(b) RETURN c }} SET c.articles = c.articles + k.d "
                            "WITH c WHERE c.articles <= 0 DELETE c", {"rows": part})

    def _recount_articles(self, label: str, ids: list[str]) -> None:
        self.run_cypher(
            "UNWIND $ids AS i MATCH (e:Entity) WHERE elementId(e) = i SET e.articles = COUNT { (e)<-[:MENTIONS]-() }",
            {"ids": list(self._node_ids(label, ids).values())},
        )
