"""Peak memory and speed of ``litgraph build`` as the graph grows: the RSS curve of issue 12.

For each size N a synthetic PubTator file of N articles is written (shaped like a large build: 4 chemical,
3 disease and 3 gene mentions per article with Zipf-skewed popularity, 2 relations among them) and
``litgraph build FILE --annotated`` loads it into a new embedded graph with default settings (default
``--batch-size`` and page cache) in a child process. Reported per size: peak RSS of that process
(``ru_maxrss`` from ``wait4``, the whole build including Python, parsing and the store), wall time, and
edges/s (edges in the graph / wall time). ``--buffer-pool-mb`` sets ``LITGRAPH_BUFFER_POOL_MB`` for the
child; ``--code REF`` runs the code of git commit REF instead of the working tree. Writes
``bench/results/graph_build_memory.json``.

    python bench/graph_build_memory.py --sizes 1000,5000,10000,50000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
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
    parser.add_argument("--buffer-pool-mb", type=int, help="LITGRAPH_BUFFER_POOL_MB for the builds (default: unset)")
    parser.add_argument("--code", help="git commit whose code to run (default: the working tree)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = []
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
        if args.buffer_pool_mb:
            env["LITGRAPH_BUFFER_POOL_MB"] = str(args.buffer_pool_mb)
        for n in sizes:
            source = tmp / f"synthetic-{n}.pubtator"
            write_pubtator(source, n)
            result = _measure(source, tmp / f"graph-{n}", env, cwd)
            stats = result["report"]["store"]
            edges = sum(stats["edges"].values())
            run = {"articles": n, "loaded": stats["articles"], "edges": edges, "seconds": round(result["seconds"], 1),
                   "edges_per_s": round(edges / result["seconds"]), "peak_rss_mb": result["peak_rss_mb"]}
            print(f"{n:>7} articles  {edges:>8} edges  {run['seconds']:>7} s  {run['edges_per_s']:>7} edges/s  "
                  f"peak RSS {run['peak_rss_mb']} MB", file=sys.stderr)
            runs.append(run)
            source.unlink()
    payload = {
        "benchmark": "graph_build_memory",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "load_average": os.getloadavg(), "python": platform.python_version()},
        "settings": {"buffer_pool_mb": args.buffer_pool_mb, "code": args.code or "working tree"},
        "targets": {"peak_rss_mb_10k": 4096, "flat_within": 0.2},
        "runs": runs,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)


def _measure(source: Path, graph: Path, env: dict, cwd: Path) -> dict:
    cmd = [sys.executable, "-m", "litgraph", "build", str(source), "--annotated", "--graph", str(graph), "--no-progress",
           "--format", "json"]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"build failed ({os.waitstatus_to_exitcode(status)}):\n{err.read()[-3000:]}")
        report = json.loads(out.read())
    return {"report": report, "seconds": seconds, "peak_rss_mb": round(usage.ru_maxrss / 1024)}


if __name__ == "__main__":
    main()
