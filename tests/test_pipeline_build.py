"""litgraph build on corpus slices with their gold annotations: load, idempotent rebuild, revisions, report."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from litgraph.connectors.pubtator import read_pubtator, write_pubtator
from litgraph.cli import main
from litgraph.pipeline import build
from litgraph.store import open_store
from tests.fixtures.pipeline import graph_snapshot


@pytest.fixture()
def settings(pipeline_settings):
    """A fresh graph, with the session's normalisation index."""
    return pipeline_settings


def test_build_loads_every_article_and_a_rebuild_changes_nothing(cdr_folder, settings):
    first = build([str(cdr_folder)], settings, annotated=True, batch_size=16, progress=False)
    assert (first.units_processed, first.articles_loaded, first.failures) == (4, 60, [])
    assert first.store["articles"] == 60
    assert first.store["edges"]["INDUCES"] > 0
    before = graph_snapshot(settings)

    again = build([str(cdr_folder)], settings, annotated=True, batch_size=16, progress=False)
    assert (again.units_skipped, again.units_processed, again.records_read, again.articles_loaded) == (4, 0, 0, 0)
    assert graph_snapshot(settings) == before


def test_a_changed_file_is_reread_and_only_its_revised_article_reloaded(cdr_folder, settings):
    build([str(cdr_folder)], settings, annotated=True, progress=False)
    path = sorted(cdr_folder.iterdir())[1]
    docs = list(read_pubtator(path))
    revised = docs[0]
    revised.abstract += " Revised."
    dropped = revised.relations.pop()
    with open(path, "w", encoding="utf-8") as out:
        write_pubtator(docs, out)

    report = build([str(cdr_folder)], settings, annotated=True, progress=False)
    assert (report.units_skipped, report.units_processed) == (3, 1)
    assert (report.articles_loaded, report.articles_unchanged) == (1, len(docs) - 1)
    with open_store(settings) as store:
        rows = store.run_cypher(
            "MATCH (v:Evidence {pmid: $pmid}) RETURN v.subject AS s, v.object AS o", {"pmid": revised.pmid})
    assert (dropped.subject, dropped.object) not in {(r["s"], r["o"]) for r in rows}
    assert len(rows) == len(revised.relations)


def test_build_command_prints_a_json_report(cdr_folder, settings):
    result = CliRunner().invoke(
        main, ["build", str(cdr_folder), "--annotated", "--graph", settings.graph, "--format", "json", "--no-progress"],
        env={"LITGRAPH_CORPORA": str(settings.corpora), "LITGRAPH_MODELS": str(settings.models)})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["articles_loaded"] == 60 and report["failures"] == []
    assert report["sources"] == [os.path.realpath(cdr_folder)]
    assert report["store"]["articles"] == 60


def test_build_without_a_readable_source_exits_2(tmp_path, settings):
    result = CliRunner().invoke(main, ["build", str(tmp_path / "missing"), "--annotated", "--graph", settings.graph])
    assert result.exit_code == 2
    assert "missing" in result.output


def test_a_record_the_store_refuses_is_reported_and_retried_by_the_next_build(settings, tmp_path):
    source = tmp_path / "mixed.pubtator"
    source.write_text(
        "123|t|Aspirin causes pain.\n123|a|Aspirin was given.\n123\t0\t7\tAspirin\tDrug\tD001241\n\n"
        "456|t|Lithium and tremor.\n456|a|Lithium was stopped.\n456\t0\t7\tLithium\tChemical\tD008094\n\n",
        encoding="utf-8")
    first = build([str(source)], settings, annotated=True, progress=False)
    assert [(f.pmid, f.stage) for f in first.failures] == [("123", "load")]
    assert "Drug" in first.failures[0].reason
    assert (first.articles_loaded, first.store["articles"]) == (1, 1)

    again = build([str(source)], settings, annotated=True, progress=False)
    assert (again.units_processed, again.articles_unchanged, again.articles_loaded) == (1, 1, 0)
    assert [(f.pmid, f.stage) for f in again.failures] == [("123", "load")]


def test_batches_grow_to_what_the_store_prefers_unless_records_come_slowly(cdr_docs, settings, monkeypatch):
    """Without --batch-size the loader starts small and then writes as many records per transaction as the
    store prefers (write_batch), or as many as came in BATCH_SECONDS when that is fewer; either way every
    article is in the graph once its batch is flushed."""
    from litgraph.pipeline import loader
    from litgraph.pipeline.report import BuildReport
    from litgraph.store import content_hash, open_store

    docs = cdr_docs[:300]

    def sizes(store, seconds: float) -> list[int]:
        monkeypatch.setattr(loader, "BATCH_SECONDS", seconds)
        batches = loader.BatchLoader(store, BuildReport(), versions=[loader.InputAnnotations.version], annotator=None,
                                     concept=None, content_hash=content_hash)
        seen = [batches.batch_size]
        for doc in docs:
            batches.add(doc)
            if batches.full:
                batches.flush()
                seen.append(batches.batch_size)
        batches.flush()
        return seen

    with open_store(settings) as store:
        store.write_batch = 100
        assert sizes(store, 1e6) == [loader.FIRST_BATCH, 100, 100, 100]
        assert store.stats()["articles"] == len(docs)
    with open_store(settings.with_(graph=settings.graph + "-slow")) as store:
        assert set(sizes(store, 1e-9)) == {loader.FIRST_BATCH}  # records "came slowly": batches stay small
        assert store.stats()["articles"] == len(docs)
