"""A refresh of PubMed revisions that keep the title and abstract (MeSH indexing, a new version), with the
shipped models: the Article-only update against re-extraction of the same records, in the same run.

The records with an abstract of the real PubMed samples (baseline and update files) are built into a graph
with the models; then every one of them comes back as version 2 with a MeSH heading added, as PubMed sends
records once they are indexed. ``current``: ``litgraph build`` of the revised file (the records' text is
unchanged, so only their Article nodes are rewritten). ``baseline``: a second graph built the same way, then
the same build with every revision extracted and loaded again (the loader's check treating them as changed
text, which is what a revision cost before). Both graphs must end the same.

    python bench/pipeline_revisions.py

Writes bench/results/pipeline_revisions.json.
"""

from __future__ import annotations

import gzip
import tempfile
import time
from pathlib import Path

from lxml import etree
from pipeline_common import REPO, save, settings

SAMPLES = ("baseline/pubmed26n1334.xml.gz", "updatefiles/pubmed26n1335.xml.gz")


def write_records(samples: Path, out: Path, revised: bool) -> int:
    """The samples' records with an abstract in one PubMed XML file; ``revised``: as version 2 with MeSH added."""
    root = etree.Element("PubmedArticleSet")
    for name in SAMPLES:
        with gzip.open(samples / name) as handle:
            tree = etree.parse(handle, etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False))
        for article in tree.getroot().findall("PubmedArticle"):
            if article.find("MedlineCitation/Article/Abstract") is None:
                continue
            if revised:
                article.find("MedlineCitation/PMID").set("Version", "2")
                mesh = etree.SubElement(article.find("MedlineCitation"), "MeshHeadingList")
                heading = etree.SubElement(etree.SubElement(mesh, "MeshHeading"), "DescriptorName", UI="D006801", MajorTopicYN="N")
                heading.text = "Humans"
            root.append(article)
    etree.ElementTree(root).write(str(out), xml_declaration=True, encoding="utf-8")
    return len(root)


def main() -> None:
    from litgraph.pipeline import build
    from litgraph.pipeline.loader import BatchLoader
    from tests.fixtures.pipeline import graph_snapshot

    check = BatchLoader._changed

    def extract_every_revision(loader, docs, forced):
        changed, same_text = check(loader, docs, forced)
        return changed + same_text, []

    base = settings()
    samples = Path(base.corpora) / "pubmed_samples"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = {}
        for side in ("baseline", "current"):
            folder, graph = tmp / side / "records", tmp / side / "graph"
            folder.mkdir(parents=True)
            run = base.with_(graph=str(graph), models=str(tmp / "no-trained-models"))  # the shipped models
            records = write_records(samples, folder / "records.xml", revised=False)
            first = build([str(folder)], run, progress=False)
            write_records(samples, folder / "records.xml", revised=True)
            BatchLoader._changed = extract_every_revision if side == "baseline" else check
            started = time.perf_counter()
            report = build([str(folder)], run, progress=False)
            seconds = time.perf_counter() - started
            BatchLoader._changed = check
            results[side] = {"records": records, "first_build_s": round(first.seconds, 2), "revision_s": round(seconds, 2),
                             "articles_loaded": report.articles_loaded, "articles_updated": report.articles_updated,
                             "stage_seconds": report.stage_seconds}
            results[side]["snapshot"] = graph_snapshot(run)
            print(side, {k: v for k, v in results[side].items() if k != "snapshot"})
        same = results["baseline"].pop("snapshot") == results["current"].pop("snapshot")
    save("pipeline_revisions", {
        "what": "revised PubMed records with the same title and abstract (version 2, a MeSH heading added), shipped models: "
                "build of the revised file (Article nodes rewritten) against every revision extracted again (as before), same run",
        "results": results,
        "speedup": round(results["baseline"]["revision_s"] / results["current"]["revision_s"], 1),
        "graphs_equal": same,
    })
    assert same, "the two graphs differ"


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(REPO))
    main()
