"""Parse throughput and peak memory of the PubMed XML parser on synthetic baseline files.

Builds gzip'd baseline files of 100,000 and 300,000 records in a temporary folder from the real
PubMed samples (each record copied with a fresh PMID), then, each in its own process so that
peak RSS is its own:

* ``litgraph``: ``litgraph.connectors.pubmed_xml.read_pubmed_xml`` (full Documents: sections, MeSH, ...);
* ``bare-iterparse``: a bare ``lxml.etree.iterparse`` loop over the same file that only clears
  elements (the floor for any lxml-based parser);
* ``bio-entrez-read``: ``Bio.Entrez.read`` on a 10,000-record file. ``Bio.Entrez.parse`` (its
  streaming mode) refuses a ``PubmedArticleSet`` ("does not represent a list"), so Biopython has
  no streaming path for these files; ``read`` holds the whole file in memory.

Throughput is reported per CPU-second of the parsing process (``getrusage``), which is what one
core delivers, and per wall-second. Run: ``python bench/ingest_pubmed_xml.py [--sizes 100000 300000]``. Writes
``bench/results/ingest_pubmed_xml.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "ingest_pubmed_xml.json"

CHILD = {
    "litgraph": """
from litgraph.connectors.pubmed_xml import read_pubmed_xml
n = sum(1 for _ in read_pubmed_xml(PATH))
""",
    "bare-iterparse": """
import gzip
from lxml import etree
n = 0
with gzip.open(PATH, "rb") as handle:
    for _, elem in etree.iterparse(handle, events=("end",), tag="PubmedArticle", load_dtd=False, no_network=True):
        n += 1
        elem.clear(keep_tail=True)
        while elem.getprevious() is not None:
            del elem.getparent()[0]
""",
    "bio-entrez-read": """
import gzip
from Bio import Entrez
with gzip.open(PATH, "rb") as handle:
    n = len(Entrez.read(handle)["PubmedArticle"])
""",
}

TIMER = """
import json, resource, sys, time
PATH = sys.argv[1]
CPU0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"records": n, "seconds": elapsed, "cpu_seconds": usage.ru_utime + usage.ru_stime - CPU0,
                  "peak_rss_mb": usage.ru_maxrss / 1024}}))
"""


def sample_articles(samples: Path) -> list[bytes]:
    """The PubmedArticle elements of the baseline and update samples, as bytes."""
    articles = []
    for path in sorted(samples.glob("*/pubmed26n*.xml.gz")):
        data = gzip.decompress(path.read_bytes())
        articles += re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", data, flags=re.S)
    return articles


def build(path: Path, articles: list[bytes], count: int) -> None:
    """A baseline-like gzip file of ``count`` records, PMIDs renumbered from 1."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
            b'1st January 2019//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">\n<PubmedArticleSet>\n')
    pmid = re.compile(rb"(<PMID Version=\"\d+\">)\d+(</PMID>)")
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(head)
        for i in range(count):
            out.write(pmid.sub(rb"\g<1>%d\g<2>" % (i + 1), articles[i % len(articles)], count=1) + b"\n")
        out.write(b"</PubmedArticleSet>\n")


RECORD_BYTES = 0  # mean uncompressed size of a record, set in main()


def measure(name: str, path: Path) -> dict:
    code = TIMER.format(body=CHILD[name])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(["nice", sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["records_per_s_wall"] = round(result["records"] / result["seconds"])
    result["records_per_cpu_s"] = round(result["records"] / result["cpu_seconds"])
    result["mb_xml_per_cpu_s"] = round(result["records"] * RECORD_BYTES / 1e6 / result["cpu_seconds"], 1)
    result["seconds"] = round(result["seconds"], 2)
    result["cpu_seconds"] = round(result["cpu_seconds"], 2)
    result["peak_rss_mb"] = round(result["peak_rss_mb"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument("--entrez-size", type=int, default=10_000)
    parser.add_argument("--samples", type=Path, default=Path(os.environ.get("LITGRAPH_CORPORA", REPO.parent / "shared" / "data")) / "pubmed_samples")
    args = parser.parse_args()
    global RECORD_BYTES
    articles = sample_articles(args.samples)
    RECORD_BYTES = sum(len(a) for a in articles) / len(articles)
    runs = []
    with tempfile.TemporaryDirectory(prefix="litgraph-bench-") as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"pubmed_synthetic_{size}.xml.gz"
            started = time.perf_counter()
            build(path, articles, size)
            print(f"built {path.name}: {size} records, {path.stat().st_size / 1e6:.1f} MB gz, "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            for name in ("litgraph", "bare-iterparse"):
                result = {"parser": name, "file_records": size, **measure(name, path)}
                print(json.dumps(result), flush=True)
                runs.append(result)
            path.unlink()
        if args.entrez_size:
            path = Path(tmp) / "pubmed_synthetic_entrez.xml.gz"
            build(path, articles, args.entrez_size)
            for name in ("bio-entrez-read", "litgraph"):
                result = {"parser": name, "file_records": args.entrez_size, **measure(name, path)}
                print(json.dumps(result), flush=True)
                runs.append(result)
    summary = {
        "benchmark": "PubMed baseline XML parse (gzip), one process per run, one core each",
        "machine": f"2-core x86-64 CPU, shared with other jobs ({platform.processor() or platform.machine()}, "
                   f"Python {platform.python_version()})",
        "sample_records": len(articles),
        "mean_record_bytes": round(RECORD_BYTES),
        "note": "records/s per CPU-second of the parsing process (the machine was shared, so wall time "
                "overstates the cost); peak RSS from getrusage in that process",
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
