"""litgraph quickstart with cached (tiny) models on a small copy of the PubMed samples: build, answers, fast rerun."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner
from lxml import etree

from litgraph.cli import main

pytestmark = pytest.mark.slow


def _subset(src, dst, keep: int, delete: list[str] = ()) -> list[str]:
    """Write the first ``keep`` articles of a PubMed XML sample (plus a DeleteCitation) to ``dst``."""
    with gzip.open(src) as handle:
        tree = etree.parse(handle, etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False))
    root = tree.getroot()
    for extra in root.findall("PubmedArticle")[keep:] + root.findall("DeleteCitation"):
        root.remove(extra)
    if delete:
        citation = etree.SubElement(root, "DeleteCitation")
        for pmid in delete:
            etree.SubElement(citation, "PMID", Version="1").text = pmid
    dst.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(dst, "wb") as handle:
        tree.write(handle, xml_declaration=True, encoding="utf-8")
    return [a.findtext("MedlineCitation/PMID") for a in root.findall("PubmedArticle")]


def test_quickstart_builds_answers_and_reruns_without_work(samples_dir, tiny_models, normaliser, normaliser_settings,
                                                         tmp_path):
    corpora, models = tmp_path / "corpora", tmp_path / "models"
    samples = corpora / "pubmed_samples"
    kept = _subset(samples_dir / "baseline" / "pubmed26n1334.xml.gz", samples / "baseline" / "pubmed26n1334.xml.gz", 4)
    _subset(samples_dir / "updatefiles" / "pubmed26n1335.xml.gz", samples / "updatefiles" / "pubmed26n1335.xml.gz",
            3, delete=[kept[0]])
    models.mkdir()
    for name, target in (("ner", tiny_models["ner"]), ("re", tiny_models["re"]),
                         ("normaliser", normaliser_settings.models / "normaliser")):
        (models / name).symlink_to(target, target_is_directory=True)
    args = ["quickstart", "--corpora", str(corpora), "--models", str(models), "--graph", str(tmp_path / "graph"),
            "--no-progress"]

    first = CliRunner().invoke(main, [*args, "--format", "json"])
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    assert result["trained"] is False
    assert result["sources"] == [str(samples / "baseline"), str(samples / "updatefiles")]
    build = result["build"]
    assert (build["articles_loaded"], build["articles_deleted"], build["failures"]) == (7, 1, [])
    assert build["store"]["articles"] == 6
    for answer in result["answers"].values():
        assert answer["query"] in ("drugs-for-disease", "adverse-effects", "diseases-for-drug")

    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "0 unit(s) processed, 2 already up to date" in again.output
    assert "quickstart done" in again.output
