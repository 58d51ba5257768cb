"""Peak memory and speed of ``litgraph build`` as the graph grows: the RSS curve of issue 12.

For each size N a synthetic PubTator file of N articles is written (shaped like a large build: 4 chemical,
3 disease and 3 gene mentions per article with Zipf-skewed popularity, 2 relations among them) and
``litgraph build FILE --annotated`` loads it into a new embedded graph with default settings (default
``--batch-size`` and page cache) in a child process. Reported per size: peak RSS of that process
(``ru_maxrss`` from ``wait4``, the whole build including Python, parsing and the store), wall time, and
edges/s (edges in the graph / wall time). ``--buffer-pool-mb`` sets ``LITGRAPH_BUFFER_POOL_MB`` for the
child: one value, or several comma-separated (``default`` leaves it unset, ``ladybug`` is LadybugDB's own
default, 80 % of the machine's memory), which are then run interleaved per size so that the machine's load
falls on all alike; ``--code REF`` runs the code of git commit REF instead of the working tree; ``--batch-size N`` fixes the
documents per store write (the build's largest in-memory batch). Writes
``bench/results/graph_build_memory.json`` (``--out`` elsewhere).

    python bench/graph_build_memory.py --sizes 1000,5000,10000,50000
    python bench/graph_build_memory.py --sizes 1000,10000,50000 --buffer-pool-mb ladybug,default,1024
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "graph_build_memory.json"

_RELATIONS = (("CID", "Chemical", "Disease"), ("Negative_Correlation", "Chemical", "Disease"),
              ("Association", "Gene", "Disease"), ("Association", "Chemical", "Gene"))


def write_pubtator(path: Path, articles: int, seed: int = 7) -> None:
    """``articles`` synthetic abstracts with mentions and relations, written one at a time."""
    rng = random.Random(seed)
    sizes = {"Chemical": max(articles // 5, 100), "Disease": max(articles // 8, 100), "Gene": max(articles // 4, 100)}

    def pick(label: str) -> str:
        rank = min(int(rng.paretovariate(0.3)), sizes[label]) - 1  # Zipf-like: a few entities are very popular
        return str(1000 + rank) if label == "Gene" else f"D{label[0]}{rank:06d}"

    with path.open("w", encoding="utf-8") as out:
        for i in range(articles):
            pmid = str(10_000_000 + i)
            title = f"Synthetic article {pmid}."
            text, mentions, ids = title + " ", [], {"Chemical": [], "Disease": [], "Gene": []}
            for label, per in (("Chemical", 4), ("Disease", 3), ("Gene", 3)):
                for _ in range(per):
                    curie = pick(label)
                    word = f"{label.lower()}{curie}"
                    mentions.append((len(text), len(text) + len(word), word, label, curie))
                    ids[label].append(curie)
                    text += f"{word} is studied here. "
            abstract = text[len(title) + 1:].strip()
            out.write(f"{pmid}|t|{title}\n{pmid}|a|{abstract}\n")
            for start, end, word, label, curie in mentions:
                out.write(f"{pmid}\t{start}\t{end}\t{word}\t{label}\t{curie}\n")
            for _ in range(2):
                kind, a, b = _RELATIONS[rng.randrange(len(_RELATIONS))]
                out.write(f"{pmid}\t{kind}\t{rng.choice(ids[a])}\t{rng.choice(ids[b])}\n")
            out.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000,50000", help="articles per build, comma-separated")
    parser.add_argument("--buffer-pool-mb", default="default",
                        help="LITGRAPH_BUFFER_POOL_MB for the builds, comma-separated to compare several: MiB, "
                             "'default' (unset: litgraph's default) or 'ladybug' (LadybugDB's own, 80%% of RAM)")
    parser.add_argument("--code", help="git commit whose code to run (default: the working tree)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file")
    parser.add_argument("--max-disk-gb", type=float, default=10.0,
                        help="stop a build whose graph folder grows past this (LadybugDB's checkpoint shadow file)")
    parser.add_argument("--batch-size", type=int,
                        help="documents per store write (litgraph build --batch-size; default: adaptive, up to the "
                             "store's write_batch)")
    parser.add_argument("--max-minutes", type=float, default=20.0, help="stop a build that runs longer than this")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    caps = [c.strip() for c in args.buffer_pool_mb.split(",") if c.strip()]
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    runs = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="litgraph-bench-") as tmp:
        tmp = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "LITGRAPH_BUFFER_POOL_MB"}
        cwd = REPO
        if args.code:
            cwd = tmp / "code"
            cwd.mkdir()
            archive = subprocess.run(["git", "archive", args.code], cwd=REPO, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(cwd)], input=archive, check=True)
            env["PYTHONPATH"] = str(cwd)
        for n in sizes:
            source = tmp / f"synthetic-{n}.pubtator"
            write_pubtator(source, n)
            for cap in caps:
                child = dict(env)
                if cap == "ladybug":
                    child["LITGRAPH_BUFFER_POOL_MB"] = str(memory_mb * 8 // 10)
                elif cap != "default":
                    child["LITGRAPH_BUFFER_POOL_MB"] = str(int(cap))
                graph = tmp / f"graph-{n}-{cap}"
                result = _measure(source, graph, child, cwd, args.max_disk_gb * 1024, args.max_minutes * 60,
                                  args.batch_size)
                run = {"articles": n, "buffer_pool_mb": cap, "seconds": round(result["seconds"], 1),
                       "peak_rss_mb": result["peak_rss_mb"], "peak_disk_mb": result["peak_disk_mb"]}
                if "stopped" in result:
                    run["stopped"] = result["stopped"]
                else:
                    stats = result["report"]["store"]
                    edges = sum(stats["edges"].values())
                    run.update(loaded=stats["articles"], edges=edges, edges_per_s=round(edges / result["seconds"]),
                               database_mb=round(_folder_mb(graph)))
                print(f"{n:>7} articles  cache {cap:>8}  {run.get('edges', '-'):>8} edges  {run['seconds']:>7} s  "
                      f"{run.get('edges_per_s', '-'):>7} edges/s  peak RSS {run['peak_rss_mb']} MB  peak disk "
                      f"{run['peak_disk_mb']} MB  {run.get('stopped', '')}", file=sys.stderr)
                runs.append(run)
                shutil.rmtree(graph, ignore_errors=True)
            source.unlink()
    payload = {
        "benchmark": "graph_build_memory",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "load_average_before": load_before, "load_average_after": os.getloadavg(), "python": platform.python_version()},
        "settings": {"buffer_pool_mb": caps, "batch_size": args.batch_size or "adaptive",
                     "code": args.code or "working tree"},
        "targets": {"peak_rss_mb_10k": 4096, "flat_within": 0.2},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


def _folder_mb(folder: Path) -> float:
    try:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 2**20
    except OSError:
        return 0.0


def _measure(source: Path, graph: Path, env: dict, cwd: Path, max_disk_mb: float, max_seconds: float,
             batch_size: int | None = None) -> dict:
    """One build in a child process; it is stopped when its graph folder (with LadybugDB's checkpoint shadow
    file) passes ``max_disk_mb`` or it runs longer than ``max_seconds``, and the run says so."""
    cmd = [sys.executable, "-m", "litgraph", "build", str(source), "--annotated", "--graph", str(graph), "--no-progress",
           "--format", "json"] + (["--batch-size", str(batch_size)] if batch_size else [])
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        peak_disk, stopped = 0.0, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_disk = max(peak_disk, _folder_mb(graph))
            if peak_disk > max_disk_mb or time.perf_counter() - started > max_seconds:
                stopped = f"stopped: graph folder {peak_disk:.0f} MB" if peak_disk > max_disk_mb else \
                    f"stopped after {max_seconds:.0f} s"
                proc.kill()
            time.sleep(1.0)
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        result = {"seconds": seconds, "peak_rss_mb": round(usage.ru_maxrss / 1024), "peak_disk_mb": round(peak_disk)}
        if stopped:
            return {**result, "stopped": stopped}
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"build failed ({os.waitstatus_to_exitcode(status)}):\n{err.read()[-3000:]}")
        return {**result, "report": json.loads(out.read())}


if __name__ == "__main__":
    main()
