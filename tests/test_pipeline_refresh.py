"""litgraph refresh on the PubMed baseline/update samples: new files only, deletions, watermarks; corrupt records."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from click.testing import CliRunner
from lxml import etree

from litgraph import fetch
from litgraph.cli import main
from litgraph.pipeline import build, refresh
from litgraph.store import open_store
from tests.fixtures.pipeline import DELETED, graph_snapshot, snapshot_diff


@pytest.fixture()
def settings(pipeline_settings):
    """A fresh graph, with the session's normalisation index."""
    return pipeline_settings

UPDATE = "pubmed26n1335.xml.gz"


def _pmids(path, settings) -> set[str]:
    return {r.pmid for r in fetch.iter_records(str(path), settings, progress=False) if not getattr(r, "deleted", False)}


def test_refresh_applies_only_the_new_update_file_and_its_deletions(pubmed_folders, samples_dir, settings):
    baseline, updates = pubmed_folders
    first = build([str(baseline), str(updates)], settings, annotated=True, progress=False)
    loaded = _pmids(baseline, settings)
    assert set(DELETED) <= loaded
    assert first.store["articles"] == len(loaded) and first.failures == []

    shutil.copy(samples_dir / "updatefiles" / UPDATE, updates)
    report = refresh(settings, annotated=True, progress=False)
    assert (report.units_processed, report.units_skipped) == (1, 2)
    assert (report.deletions_seen, report.articles_deleted) == (6, 6)
    added = _pmids(updates / UPDATE, settings)
    assert report.articles_loaded == len(added)
    with open_store(settings) as store:
        assert store.stats()["articles"] == len(loaded) + len(added) - 6
        assert store.article_state(DELETED) == {}

    noop = refresh(settings, annotated=True, progress=False)
    assert (noop.units_processed, noop.records_read, noop.articles_loaded) == (0, 0, 0)


def test_refresh_ends_with_the_graph_of_a_clean_build(pubmed_folders, samples_dir, settings, tmp_path):
    baseline, updates = pubmed_folders
    build([str(baseline), str(updates)], settings, annotated=True, progress=False)
    shutil.copy(samples_dir / "updatefiles" / UPDATE, updates)
    refresh(settings, annotated=True, progress=False)

    clean = settings.with_(graph=str(tmp_path / "clean"))
    build([str(baseline), str(updates)], clean, annotated=True, progress=False)
    first, second = graph_snapshot(settings), graph_snapshot(clean)
    assert first == second, snapshot_diff(first, second)


def test_refresh_of_a_graph_without_sources_exits_2(settings):
    result = CliRunner().invoke(main, ["refresh", "--graph", settings.graph, "--annotated"])
    assert result.exit_code == 2
    assert "litgraph build" in result.output


def test_corrupt_records_are_reported_with_their_pmid_and_the_rest_loads(samples_dir, settings, tmp_path):
    with gzip.open(samples_dir / "baseline" / "pubmed26n1334.xml.gz") as handle:
        tree = etree.parse(handle, etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False))
    articles = tree.getroot().findall("PubmedArticle")
    broken = []
    for article in articles[3:5]:
        pmid = article.find("MedlineCitation/PMID")
        pmid.set("Version", "x")
        broken.append(pmid.text)
    source = tmp_path / "corrupt.xml"
    tree.write(str(source), xml_declaration=True, encoding="utf-8")

    result = CliRunner().invoke(
        main, ["build", str(source), "--annotated", "--graph", settings.graph, "--format", "json", "--no-progress"],
        env={"LITGRAPH_CORPORA": str(settings.corpora), "LITGRAPH_MODELS": str(settings.models)})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sorted(f["pmid"] for f in report["failures"]) == sorted(broken)
    assert all(f["stage"] == "fetch" and "Version" in f["reason"] for f in report["failures"])
    assert report["store"]["articles"] == len(articles) - 2

    text = CliRunner().invoke(main, ["build", str(source), "--annotated", "--graph", settings.graph, "--no-progress"],
                              env={"LITGRAPH_CORPORA": str(settings.corpora), "LITGRAPH_MODELS": str(settings.models)})
    assert all(f"PMID {pmid}" in text.output for pmid in broken)


def test_query_refresh_fetches_only_records_revised_since_the_watermark(eutils_server, settings):
    import datetime

    online = settings.with_(eutils_url=eutils_server.url, ncbi_api_key="test-key")
    source = 'pubmed:"cancer"'
    first = build([source], online, annotated=True, progress=False)
    assert first.articles_loaded == first.store["articles"] > 0

    # NCBI revises one of the records today: the refresh asks for records modified since the watermark.
    today = datetime.datetime.now(datetime.timezone.utc).date()
    pmid, article = next((p, a) for p, a in eutils_server.articles.items() if "cancer" in a.text)
    article.xml = article.xml.replace(b"<AbstractText", b"<AbstractText>Revised note.</AbstractText><AbstractText", 1)
    article.dates["mdat"] = today
    eutils_server.requests.clear()
    with open_store(online) as store:
        old_hash = store.article_state([pmid])[pmid]["hash"]

    report = refresh(online, annotated=True, progress=False)
    searches = [params for _, utility, params, _ in eutils_server.requests if utility == "esearch"]
    assert searches and all(p.get("mindate") == today.strftime("%Y/%m/%d") and p.get("datetype") == "mdat" for p in searches)
    assert (report.records_read, report.articles_loaded) == (1, 1)
    with open_store(online) as store:
        assert store.stats()["articles"] == first.store["articles"]
        assert store.article_state([pmid])[pmid]["hash"] != old_hash
