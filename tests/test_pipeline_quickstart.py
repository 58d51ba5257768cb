"""litgraph quickstart: nothing trained, BC5CDR dev abstracts read as plain text, answers by name with their
evidence, a rerun that does no work."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from litgraph.cli import main

pytestmark = pytest.mark.slow


def _corpora_with_dev_subset(data_dir, root, documents: int):
    """A corpora folder whose BC5CDR dev file holds the first ``documents`` abstracts of the real one."""
    text = (data_dir / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt").read_text(encoding="utf-8")
    blocks = [b for b in text.split("\n\n") if b.strip()][:documents]
    (root / "bc5cdr").mkdir(parents=True)
    (root / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt").write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
    return root


def _run(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result


def test_quickstart_with_the_shipped_models_answers_by_name_with_two_papers(data_dir, normaliser, normaliser_settings, tmp_path):
    corpora = _corpora_with_dev_subset(data_dir, tmp_path / "corpora", 120)
    models = tmp_path / "models"
    models.mkdir()
    (models / "normaliser").symlink_to(normaliser_settings.models / "normaliser", target_is_directory=True)
    args = ["quickstart", "--corpora", str(corpora), "--models", str(models), "--graph", str(tmp_path / "graph"),
            "--no-progress"]

    result = json.loads(_run([*args, "--format", "json"]).stdout)
    assert [m["source"] for m in result["models"]] == ["shipped", "shipped"]  # nothing was trained
    assert not (models / "ner").exists() and not (models / "re").exists()
    assert result["source"] == "bc5cdr:dev"
    build = result["build"]
    assert (build["articles_loaded"], build["failures"]) == (120, [])
    assert len(result["answers"]) == 2
    for answer in result["answers"].values():
        value = next(iter(answer["params"].values()))
        assert not value.startswith("MESH:")  # asked by name
        first = answer["rows"][0]
        assert first["evidence_count"] >= 2 and len(first["pmids"]) >= 2
        assert len(answer["evidence"]) >= 2 and all(e["sentence"] for e in answer["evidence"])
        assert {str(e["pmid"]) for e in answer["evidence"]} & {str(p) for p in first["pmids"]}

    again = _run(args)
    assert "0 unit(s) processed, 1 already up to date" in again.output
    assert "litgraph query evidence --param a=" in again.output
    assert "quickstart done" in again.output
