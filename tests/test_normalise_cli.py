"""The commands: litgraph eval normalize, litgraph normalise build-index|lookup|info."""

import json

from click.testing import CliRunner

from litgraph.cli import main


def _run(args, settings):
    env = {"LITGRAPH_MODELS": str(settings.models), "LITGRAPH_CORPORA": str(settings.corpora)}
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_eval_normalize_json_matches_the_contract(normaliser, normaliser_settings, tmp_path):
    result = _run(["eval", "normalize", "--corpus", "ncbi-disease:dev", "--format", "json"], normaliser_settings)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"accuracy", "precision", "per_type", "mentions", "retired_ids"}
    assert payload["mentions"] == 787 and list(payload["per_type"]) == ["Disease"]
    assert 0.8 < payload["accuracy"] <= 1
    # precision: right ids among the mentions given one (some get none), so above the accuracy
    disease = payload["per_type"]["Disease"]
    assert disease["correct"] < disease["answered"] < disease["mentions"] == 787
    assert payload["precision"] == disease["precision"] == disease["correct"] / disease["answered"] > payload["accuracy"]
    excluded = tmp_path / "pmids.txt"
    excluded.write_text("# leave one abstract out\n8808605\n")
    result = _run(["eval", "normalize", "--corpus", "ncbi-disease:dev", "--exclude-pmids", str(excluded),
                   "--format", "json"], normaliser_settings)
    assert json.loads(result.stdout)["mentions"] < 787


def test_gold_ids_retired_from_mesh_count_as_their_current_descriptor_unless_strict(normaliser, normaliser_settings):
    """BC5CDR was annotated with MeSH 2015: cilostazol's supplementary concept has since become a descriptor."""
    aligned = json.loads(_run(["eval", "normalize", "--corpus", "bc5cdr:dev", "--format", "json"], normaliser_settings).stdout)
    strict = json.loads(_run(["eval", "normalize", "--corpus", "bc5cdr:dev", "--format", "json", "--strict-ids"],
                             normaliser_settings).stdout)
    assert aligned["retired_ids"]["MESH:C045645"] == "MESH:D000077407" and strict["retired_ids"] == {}
    assert all(normaliser.concept(old) is None and normaliser.concept(new) for old, new in aligned["retired_ids"].items())
    assert aligned["per_type"]["Chemical"]["correct"] > strict["per_type"]["Chemical"]["correct"]
    assert aligned["per_type"]["Disease"]["correct"] >= strict["per_type"]["Disease"]["correct"]
    table = _run(["eval", "normalize", "--corpus", "bc5cdr:dev"], normaliser_settings).stdout
    assert f"{len(aligned['retired_ids'])} gold ids retired" in table
    # BioRED's mouse and rat genes are missing from the human gene table, not retired: they stay as written
    biored = json.loads(_run(["eval", "normalize", "--corpus", "biored:dev", "--format", "json"], normaliser_settings).stdout)
    assert biored["retired_ids"] and all(old.startswith("MESH:") for old in biored["retired_ids"])


def test_eval_normalize_table_scores_only_the_corpus_types(normaliser, normaliser_settings):
    result = _run(["eval", "normalize", "--corpus", "bc5cdr:dev"], normaliser_settings)
    assert result.exit_code == 0
    rows = {line.split()[0] for line in result.stdout.splitlines()[1:] if "retired" not in line}
    assert rows == {"Chemical", "Disease", "all"}


def test_lookup_names_and_mentions(normaliser, normaliser_settings):
    result = _run(["normalise", "lookup", "aspirin", "--format", "json"], normaliser_settings)
    assert json.loads(result.stdout)["concepts"][0]["id"] == "MESH:D001241"
    result = _run(["normalise", "lookup", "PB", "--type", "Chemical", "--context",
                   "The effect of phenobarbital (PB: 15 mg per rat) on carcinogenesis.", "--format", "json"],
                  normaliser_settings)
    mention = json.loads(result.stdout)["mention"]
    assert mention["ids"] == ["MESH:D010634"] and mention["step"] == "abbreviation"
    result = _run(["normalise", "lookup", "BRCA1", "--type", "Gene"], normaliser_settings)
    assert result.stdout.startswith("mention: NCBIGene:672")


def test_info_reports_the_index(normaliser, normaliser_settings):
    meta = json.loads(_run(["normalise", "info"], normaliser_settings).stdout)
    assert meta["concepts"] > 300_000 and meta["bytes"] > 0 and meta["format"] >= 1


def test_corrupt_index_exits_2_and_says_how_to_rebuild(tmp_path, normaliser_settings):
    broken = normaliser_settings.with_(models=tmp_path)
    (tmp_path / "normaliser").mkdir()
    (tmp_path / "normaliser" / "index.pkl").write_bytes(b"\x80\x05garbage")
    result = _run(["normalise", "lookup", "aspirin"], broken)
    assert result.exit_code == 2
    assert "index.pkl" in result.stderr and "litgraph normalise build-index" in result.stderr


def test_build_index_with_a_missing_vocabulary_file_exits_2(tmp_path, normaliser_settings):
    missing = tmp_path / "hgnc_complete_set.txt"
    result = _run(["normalise", "build-index", "--models", str(tmp_path), "--hgnc", str(missing)], normaliser_settings)
    assert result.exit_code == 2  # click checks that the given file exists
    assert "hgnc_complete_set.txt" in result.output


def test_every_command_has_help_with_an_example():
    for args in (["eval", "normalize"], ["normalise", "build-index"], ["normalise", "lookup"], ["normalise", "info"]):
        result = CliRunner().invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_build_index_refuses_dev_and_test_splits_as_synonym_sources(tmp_path, normaliser_settings):
    result = _run(["normalise", "build-index", "--models", str(tmp_path), "--train", "bc5cdr:dev"], normaliser_settings)
    assert result.exit_code == 2
    assert "only train splits" in result.stderr
    assert not (tmp_path / "normaliser").exists()
