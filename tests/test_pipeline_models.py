"""The pipeline with real (tiny) models: extraction, model versions, skip when current, --reextract, Ray."""

from __future__ import annotations

import os

import pytest

from litgraph.pipeline import build, refresh
from litgraph.store import open_store
from tests.fixtures.pipeline import graph_snapshot, snapshot_diff, write_slices


@pytest.fixture()
def settings(pipeline_settings):
    """A fresh graph, with the session's normalisation index."""
    return pipeline_settings

pytestmark = pytest.mark.slow


@pytest.fixture()
def small_folder(cdr_docs, tmp_path):
    """Two PubTator files of 3 BC5CDR dev abstracts each."""
    folder = tmp_path / "small"
    write_slices(cdr_docs[:6], folder, per_file=3)
    return folder


def _versions(models) -> list[str]:
    from litgraph.extract.store import read_meta

    return sorted(read_meta(models[kind], kind)["version"] for kind in ("ner", "re"))


def test_build_with_models_then_rebuild_and_reextract(small_folder, tiny_models, settings):
    models = [str(tiny_models["ner"]), str(tiny_models["re"])]
    gold = build([str(small_folder)], settings, annotated=True, progress=False)
    assert gold.models == ["input-annotations"]

    # The graph was made by other "models" (the gold annotations): a plain refresh leaves it alone ...
    plain = refresh(settings, model_dirs=models, progress=False)
    assert (plain.units_processed, plain.articles_loaded) == (0, 0)
    # ... --reextract re-runs every article with the current models.
    redo = refresh(settings, model_dirs=models, reextract=True, progress=False)
    assert (redo.units_processed, redo.articles_loaded, redo.failures) == (2, 6, [])
    assert redo.models == _versions(tiny_models)
    with open_store(settings) as store:
        assert set(store.stats()["models"]) <= set(redo.models)
        mentions = store.run_cypher("MATCH (:Article)-[m:MENTIONS]->() RETURN count(m) AS n")[0]["n"]
    assert mentions > 0

    # Same input, same models: a rebuild reads nothing; a touched file is re-read but nothing re-extracted.
    again = build([str(small_folder)], settings, model_dirs=models, progress=False)
    assert (again.units_skipped, again.records_read) == (2, 0)
    touched = sorted(small_folder.iterdir())[0]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    reread = build([str(small_folder)], settings, model_dirs=models, progress=False)
    assert (reread.units_processed, reread.articles_unchanged, reread.articles_loaded) == (1, 3, 0)


def test_ray_engine_with_models_matches_the_local_engine(small_folder, tiny_models, settings, tmp_path):
    ray = pytest.importorskip("ray")
    models = [str(tiny_models["ner"]), str(tiny_models["re"])]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = build([str(small_folder)], settings, model_dirs=models, engine="ray", progress=False)
    finally:
        ray.shutdown()
    assert (on_ray.units_processed, on_ray.articles_loaded, on_ray.failures) == (2, 6, [])
    local = settings.with_(graph=str(tmp_path / "local"))
    build([str(small_folder)], local, model_dirs=models, progress=False)
    first, second = graph_snapshot(settings), graph_snapshot(local)
    assert first == second, snapshot_diff(first, second)


def _pubmed_subset(samples_dir, path, revise=None) -> list[str]:
    """The first four records with an abstract of the real baseline sample, written to ``path``; ``revise`` edits
    the parsed tree first. Returns their PMIDs."""
    import gzip

    from lxml import etree

    with gzip.open(samples_dir / "baseline" / "pubmed26n1334.xml.gz") as handle:
        tree = etree.parse(handle, etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False))
    root = tree.getroot()
    articles = root.findall("PubmedArticle")
    keep = [a for a in articles if a.find("MedlineCitation/Article/Abstract") is not None][:4]
    for a in articles:
        if a not in keep:
            root.remove(a)
    for a in root.findall("DeleteCitation"):
        root.remove(a)
    if revise:
        revise(keep)
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    return [a.findtext("MedlineCitation/PMID") for a in keep]


def test_a_revision_with_the_same_text_is_updated_without_extraction(samples_dir, tiny_models, settings, tmp_path):
    """PubMed revises records mostly to add MeSH indexing: such a revision keeps the mentions and evidence the
    models found and rewrites the Article node only; a revised abstract is extracted again. The graph is the one
    a clean build of the revised file gives."""
    from lxml import etree

    models = [str(tiny_models["ner"]), str(tiny_models["re"])]
    folder = tmp_path / "pubmed"
    folder.mkdir()
    pmids = _pubmed_subset(samples_dir, folder / "records.xml")
    first = build([str(folder)], settings, model_dirs=models, progress=False)
    assert (first.articles_loaded, first.articles_updated, first.failures) == (4, 0, [])
    assert first.store["edges"].get("MENTIONS", 0) > 0

    def revise(articles):
        indexed, rewritten = articles[0], articles[1]
        indexed.find("MedlineCitation/PMID").set("Version", "2")
        mesh = etree.SubElement(indexed.find("MedlineCitation"), "MeshHeadingList")
        etree.SubElement(etree.SubElement(mesh, "MeshHeading"), "DescriptorName", UI="D006801", MajorTopicYN="N").text = "Humans"
        text = rewritten.find("MedlineCitation/Article/Abstract/AbstractText")
        text.text = (text.text or "") + " Cisplatin induced nephrotoxicity in two patients."

    _pubmed_subset(samples_dir, folder / "records.xml", revise)
    with open_store(settings) as store:
        before = store.article_state(pmids)
    again = build([str(folder)], settings, model_dirs=models, progress=False)
    assert (again.articles_updated, again.articles_loaded, again.articles_unchanged) == (1, 1, 2)
    with open_store(settings) as store:
        after = store.article_state(pmids)
    assert after[pmids[0]]["version"] == 2 and after[pmids[0]]["hash"] != before[pmids[0]]["hash"]
    assert after[pmids[0]]["models"] == before[pmids[0]]["models"] and after[pmids[0]]["text_hash"] == before[pmids[0]]["text_hash"]
    assert after[pmids[1]]["text_hash"] != before[pmids[1]]["text_hash"]

    clean = settings.with_(graph=str(tmp_path / "clean"))
    build([str(folder)], clean, model_dirs=models, progress=False)
    updated, rebuilt = graph_snapshot(settings), graph_snapshot(clean)
    assert updated == rebuilt, snapshot_diff(updated, rebuilt)
