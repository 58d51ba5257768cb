"""First load of a large graph into Neo4j: ``neo4j-admin database import`` against ``bulk_load_parquet``.

The synthetic graph of ``graph_load_query`` (``--articles`` articles: 10 mentions and 2 relation evidences
each, Zipf-like entity popularity) is bulk-loaded into an embedded store, exported with ``litgraph export
--format neo4j-import``, and brought into a Neo4j 5 server the two ways ``docs/graph.md`` documents, in the
same run, on the same server:

- ``bulk_load_parquet``: the Parquet layout through Bolt into the emptied database (server running);
- ``neo4j-admin``: the server stopped, ``sh import.sh`` (``neo4j-admin database import full``), the server
  started again, ``sh import.sh --after-import | cypher-shell`` (empty lists back), then the first
  ``open_store`` (constraints and indexes created; the aggregates came with the import).

Each path ends with the same graph (its ``stats()`` are compared with the embedded store's). Edges/s count
the edges of the layout, as ``graph_build_path --bulk`` does. The run REPLACES the server's database
``neo4j``: point it at a test server only, for example the one ``../shared/neo4j/start.sh`` starts, whose run
folder (``LITGRAPH_NEO4J_HOME``) holds ``bin/neo4j`` and ``bin/neo4j-admin``.

Run: eval "$(../shared/neo4j/start.sh)"; python bench/graph_neo4j_import.py [--articles N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from graph_load_query import synthetic_tables, write_layout  # noqa: E402
from tests.fixtures.neo4j_server import wait_for  # noqa: E402  (the test kit's: until Bolt answers)

from litgraph.export import export  # noqa: E402
from litgraph.settings import Settings  # noqa: E402
from litgraph.store import open_store  # noqa: E402

RESULTS = HERE / "results" / "graph_neo4j_import.json"


def timed(step, *args, **kwargs):
    t = time.perf_counter()
    result = step(*args, **kwargs)
    return time.perf_counter() - t, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000, help="articles in the synthetic graph")
    parser.add_argument("--neo4j-home", type=Path, default=os.environ.get("LITGRAPH_NEO4J_HOME"),
                        help="run folder of the server (bin/neo4j, bin/neo4j-admin); default $LITGRAPH_NEO4J_HOME")
    parser.add_argument("--work", type=Path, help="folder for the layout, the embedded graph and the export (default: temporary)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default bench/results/graph_neo4j_import.json)")
    args = parser.parse_args()
    if not os.environ.get("NEO4J_URI") or not args.neo4j_home:
        parser.error("needs a Neo4j test server: eval \"$(../shared/neo4j/start.sh)\" sets NEO4J_URI and LITGRAPH_NEO4J_HOME")
    home = args.neo4j_home.resolve()
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf"), "PATH": f"{home / 'bin'}:{os.environ['PATH']}"}
    neo4j_settings = Settings.from_env(graph=os.environ["NEO4J_URI"])
    work = args.work or Path(tempfile.mkdtemp(prefix="litgraph-neo4j-import-"))

    nodes, edges, _ = synthetic_tables(args.articles)
    n_edges = sum(len(frame) for frame in edges.values())
    layout = work / "tables"
    write_layout(nodes, edges, layout)
    figures: dict = {"articles": args.articles, "edges": n_edges, "nodes": sum(len(f) for f in nodes.values())}

    with open_store(Settings.from_env(graph=str(work / "graph"))) as embedded:
        seconds, _ = timed(embedded.bulk_load_parquet, layout)
        figures["embedded_copy"] = {"seconds": round(seconds, 2), "edges_per_s": round(n_edges / seconds)}
        expected = embedded.stats()
        seconds, _ = timed(export, embedded, "neo4j-import", work / "import")
        figures["export_neo4j_import_s"] = round(seconds, 2)

    with open_store(neo4j_settings) as store:  # the baseline: Bolt into the emptied database
        store.clear()
        seconds, _ = timed(store.bulk_load_parquet, layout)
        assert store.stats() == expected, "bulk_load_parquet gave another graph"
        store.clear()
    figures["bulk_load_parquet"] = {"seconds": round(seconds, 2), "edges_per_s": round(n_edges / seconds)}

    def neo4j(command: str) -> None:
        subprocess.run([str(home / "bin" / "neo4j"), command], env=env, check=True, capture_output=True, timeout=300)

    def run(*command: str, stdin: str | None = None) -> str:
        done = subprocess.run(list(command), cwd=work / "import", env=env, input=stdin, capture_output=True, text=True,
                              timeout=3600)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    steps: dict[str, float] = {}
    steps["stop"], _ = timed(neo4j, "stop")
    steps["neo4j_admin_import"], _ = timed(run, "sh", "import.sh")
    t = time.perf_counter()
    neo4j("start")
    wait_for(neo4j_settings.graph, neo4j_settings.neo4j_password or "")
    steps["start"] = time.perf_counter() - t
    cypher = run("sh", "import.sh", "--after-import")
    user = neo4j_settings.neo4j_username or "neo4j"
    steps["after_import"], _ = timed(run, str(home / "bin" / "cypher-shell"), "-a", neo4j_settings.graph, "-u", user,
                                     "-p", neo4j_settings.neo4j_password or "", stdin=cypher)
    t = time.perf_counter()
    with open_store(neo4j_settings) as store:  # constraints and indexes, as any first open creates them
        steps["first_open"] = time.perf_counter() - t
        assert store.stats() == expected, "neo4j-admin import gave another graph"
        store.clear()
    usable = steps["neo4j_admin_import"] + steps["after_import"] + steps["first_open"]
    figures["neo4j_admin"] = {"steps_s": {k: round(v, 2) for k, v in steps.items()},
                              "import_edges_per_s": round(n_edges / steps["neo4j_admin_import"]),
                              "to_usable_graph_s": round(usable, 2), "to_usable_graph_edges_per_s": round(n_edges / usable),
                              "with_restart_and_export_s": round(usable + steps["stop"] + steps["start"]
                                                                  + figures["export_neo4j_import_s"], 2)}
    a, b = figures["neo4j_admin"], figures["bulk_load_parquet"]
    print(f"{args.articles} articles, {n_edges} edges: bulk_load_parquet {b['seconds']} s ({b['edges_per_s']} edges/s); "
          f"neo4j-admin import {steps['neo4j_admin_import']:.1f} s ({a['import_edges_per_s']} edges/s), to a usable graph "
          f"{a['to_usable_graph_s']} s ({a['to_usable_graph_edges_per_s']} edges/s; after-import {steps['after_import']:.1f} s, "
          f"first open {steps['first_open']:.1f} s), {a['with_restart_and_export_s']} s with the export and the restart; "
          f"embedded COPY {figures['embedded_copy']['edges_per_s']} edges/s")
    payload = {"bench": "graph_neo4j_import",
               "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                           "load_average": os.getloadavg(), "python": platform.python_version()},
               "figures": figures}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
