"""Commands: litgraph query, stats, export."""

from __future__ import annotations

import csv
import json
import shlex
import sys
from pathlib import Path

import click

from litgraph.cli.options import echo_json, graph_option, settings_from
from litgraph.errors import InputError


def register(main: click.Group, eval_group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    main.add_command(query)
    main.add_command(stats)
    main.add_command(export)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param {item!r} is not KEY=VALUE (e.g. --param disease=\"lactic acidosis\")")
        params[key.strip()] = value
    return params


def _cell(value) -> str:
    if isinstance(value, list):
        return "; ".join("" if v is None else str(v) for v in value)
    return "" if value is None else str(value)


def _open_existing(settings):
    """Open a graph for reading. The embedded store is opened read-only: nothing is created in a folder
    that holds no graph, and readers work while a build or refresh writes (LadybugDB lets read-only
    opens share the file with its one writer; they see the last committed batch)."""
    from litgraph.store import open_store

    if not settings.graph_is_neo4j and not Path(settings.graph).expanduser().is_dir():
        raise InputError(f"no graph at {settings.graph}; build one with `litgraph build` or point --graph at one")
    return open_store(settings, read_only=not settings.graph_is_neo4j)


def _writer_active(settings) -> bool:
    """True when another process holds the embedded graph's write lock (a build or refresh is running).

    Probed with a non-blocking shared ``lockf`` on the database file; only called when this process has
    no store of that graph open (a POSIX lock probe would drop this process's own lock on close)."""
    import fcntl
    import os

    from litgraph.store.backends.ladybug import DB_FILE, OPEN_WRITERS

    if str(Path(settings.graph).expanduser().resolve()) in OPEN_WRITERS:
        return True  # this process writes it (and a lock probe would release that writer's lock)
    try:
        fd = os.open(Path(settings.graph).expanduser() / DB_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


#: How long a read retries while another process writes the embedded graph.
READ_RETRY_S = 30.0


def _read(settings, work):
    """``work(store)`` on the graph, opened for reading.

    LadybugDB 0.22 lets a read-only open share the file with a writer in another process, but a read that
    runs while the writer saves a batch can fail with a storage error (measured: none of the reads that
    succeeded was torn; some failed). Such a read is run again on a fresh open for up to ``READ_RETRY_S``
    seconds, then the command says when to retry.
    """
    import time

    from litgraph.errors import LitgraphError

    deadline, delay = time.monotonic() + READ_RETRY_S, 0.1
    while True:
        writing = not settings.graph_is_neo4j and _writer_active(settings)
        try:
            with _open_existing(settings) as store:
                return work(store)
        except LitgraphError as err:
            transient = ("Storage exception" in str(err) and (writing or _writer_active(settings))
                         and not settings.graph_is_neo4j)
            if not transient:
                raise
            if time.monotonic() + delay > deadline:
                raise LitgraphError(f"the graph at {settings.graph} is being written by a build or refresh and could "
                                    f"not be read consistently for {READ_RETRY_S:.0f} s; retry when it finishes") from err
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@click.command("query")
@click.argument("name", required=False)
@click.option("--param", "-p", "param", multiple=True, metavar="KEY=VALUE", help="A query parameter (repeat for more).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--list", "list_", is_flag=True, help="List the named queries with their parameters.")
@graph_option
def query(name: str | None, param: tuple[str, ...], fmt: str, list_: bool, graph: str | None) -> None:
    """Run a named query from the query library (queries/NAME.cypher).

    Entity parameters take a name or a CURIE (MESH:D008094, NCBIGene:348); names are resolved by the
    normaliser when one is built, else matched against the entity names in the graph.

    \b
    Examples:
      litgraph query --list
      litgraph query adverse-effects --param entity=MESH:D008012
      litgraph query evidence -p a=lidocaine -p b="cardiac asystole" --format json
    """
    from litgraph.query import list_queries, run_query

    if list_:
        for q in list_queries():
            click.echo(f"{q.name}\n  {q.description}")
            for p in q.params:
                kind = p.kind + (":" + ",".join(p.types) if p.types else "")
                default = "" if p.required else f" = {p.default!r}"
                click.echo(f"  --param {p.name}  ({kind}{default})  {p.description}")
            if q.example:
                click.echo(f"  e.g. {q.example}")
        return
    if not name:
        raise InputError("give a query NAME or --list (e.g. litgraph query --list)")
    settings = settings_from(graph=graph)
    params = _params(param)
    rows = _read(settings, lambda store: run_query(store, name, params, settings=store.settings))
    if fmt == "json":
        echo_json(rows)
    elif fmt == "csv":
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    elif not rows:
        click.echo("(no rows)", err=True)
    else:
        import pandas

        frame = pandas.DataFrame([{k: _cell(v) for k, v in row.items()} for row in rows])
        with pandas.option_context("display.max_colwidth", 60, "display.width", 200):
            click.echo(frame.to_string(index=False))


@click.command("stats")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@graph_option
def stats(fmt: str, graph: str | None) -> None:
    """Count nodes per label and edges per type, and list the models behind the graph.

    \b
    Example:
      litgraph stats --format json
    """
    from litgraph.pipeline.ledger import Ledger

    settings = settings_from(graph=graph)
    def read(store) -> dict:
        payload = store.stats()
        failed = Ledger(store).failed_units()
        if failed:  # only then: the contract's payload is nodes, edges, articles, models
            payload["failed_units"] = failed
        return payload

    payload = _read(settings, read)
    if fmt == "json":
        echo_json(payload)
        return
    click.echo(f"articles: {payload['articles']}")
    for section in ("nodes", "edges"):
        click.echo(f"{section}:")
        for key, value in payload[section].items():
            click.echo(f"  {key}: {value}")
    click.echo(f"models: {', '.join(payload['models']) or '(none: gold annotations only)'}")
    for failed in payload.get("failed_units", []):
        click.echo(f"FAILED unit {failed['unit']} ({failed['records_kept']} records before the fault kept; run the "
                   f"build again once the file is fixed): {failed['reason']}")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["graphml", "csv", "parquet", "neo4j-import"]), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="A .graphml file, or a folder for csv, parquet and neo4j-import.")
@click.option("--query", "query_name", default=None, metavar="NAME", help="Export only this named query's subgraph.")
@click.option("--param", "-p", "param", multiple=True, metavar="KEY=VALUE", help="A parameter of --query.")
@click.option("--force", is_flag=True,
              help="Replace an earlier litgraph export at OUT (only litgraph's own files; anything else is refused).")
@graph_option
def export(fmt: str, out: Path, query_name: str | None, param: tuple[str, ...], force: bool, graph: str | None) -> None:
    """Export the whole graph, or the subgraph a named query returns.

    \b
    Formats:
      graphml        one file (networkx, Gephi, Cytoscape); list properties as JSON text
      csv, parquet   OUT/nodes/<Label>.* and OUT/edges/<TYPE>.* tables
      neo4j-import   CSVs and import.sh for neo4j-admin database import (a first load of a large
                     graph; the precomputed aggregates included, so it is ready at its first open)
    \b
    OUT must be a new path or an empty folder; --force replaces an earlier litgraph export there.
    The current folder and the graph itself are never written.

    \b
    Examples:
      litgraph export --format graphml --out graph.graphml
      litgraph export --format parquet --out tables/
      litgraph export --format graphml --out aspirin.graphml --query co-mentions -p entity=aspirin
      litgraph export --format neo4j-import --out import/
        then, with Neo4j stopped:  cd import && sh import.sh
        and once it is started:    sh import.sh --after-import | cypher-shell -u neo4j -p "$NEO4J_PASSWORD"
    """
    from litgraph.export import export as run_export

    if param and not query_name:
        raise InputError("--param needs --query NAME")
    settings = settings_from(graph=graph)
    params = _params(param)
    path = _read(settings, lambda store: run_export(store, fmt, out, query_name, params, force=force))
    done = {"format": fmt, "out": str(path)}
    if fmt == "neo4j-import":  # what to run next, in the JSON so that stdout stays one JSON object
        done["next"] = [f"with Neo4j stopped: cd {shlex.quote(str(path))} && sh import.sh  (DATABASE=name for another database than neo4j)",
                        "with Neo4j started again: sh import.sh --after-import | cypher-shell -u neo4j -p \"$NEO4J_PASSWORD\""]
    click.echo(json.dumps(done))
