"""Training, saving, loading and predicting with real (tiny) models on real corpus slices."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from litgraph.connectors.pubtator import write_pubtator
from litgraph.cli import main
from litgraph.fetch.corpora import load_corpus
from litgraph.errors import InputError
from litgraph.extract import Extractor, default_base_model
from litgraph.extract.corpus import load
from litgraph.extract.ner import MIN_SCORES, NerTagger, _batches, _examples, partial_label_loss
from litgraph.extract.relations import TYPE_ORDER, RelationExtractor
from litgraph.extract.store import model_version
from litgraph.extract.train import TrainConfig, fit, ready_for_inference
from litgraph.text import sentences


def test_training_lowers_the_loss_and_the_saved_model_predicts_the_same_spans(settings, tmp_path):
    cfg = TrainConfig(epochs=6, max_length=128, batch_size=8, lr=3e-4, warmup=0.0, patience=10, max_steps=8)
    tagger = NerTagger.from_base(default_base_model(), cfg)
    corpus = load("bc5cdr:train", settings, limit=4)
    batches = _batches(_examples(tagger, [corpus], None, random.Random(0), {}), cfg.batch_size, random.Random(0), len(tagger.labels))

    def loss_fn(batch):
        ids, attn, allowed, _tags = batch
        return partial_label_loss(tagger.model(input_ids=ids, attention_mask=attn).logits, allowed)

    def mean_loss():
        with torch.no_grad():
            return sum(float(loss_fn(b)) for b in batches) / len(batches)

    before = mean_loss()
    fit(tagger.model, lambda rng: batches, loss_fn, lambda: (-mean_loss(), {}), cfg, tagger.model.get_input_embeddings(), progress=False)
    tagger.model.eval()
    after = mean_loss()
    assert after < 0.7 * before

    docs = corpus.documents[:2]
    ready_for_inference(tagger.model)  # as a loaded model runs: eager attention on a CPU
    expected = [[(m.start, m.end, m.type) for m in ms] for ms in tagger.predict(docs)]
    assert any(expected)
    summary = {"base_model": "minilm", "labels": tagger.labels, "train_seconds": 1.0, "epoch_seconds": [1.0], "machine": "test",
               "best_epoch": 1, "corpora": [], "hyperparameters": cfg.to_dict(), "dev_scores": {}}
    version = tagger.save(tmp_path / "ner", summary)
    loaded = NerTagger.load(tmp_path / "ner")
    assert loaded.version == version == model_version("ner", tmp_path / "ner")
    if not torch.cuda.is_available():
        assert loaded.model.config._attn_implementation == "eager"
    assert [[(m.start, m.end, m.type) for m in ms] for ms in loaded.predict(docs)] == expected


def test_tiny_ner_offsets_point_at_the_mention_text(tiny_models, settings):
    tagger = NerTagger.load(tiny_models["ner"])
    docs = load_corpus("biored:dev", settings)[:4]
    predicted = tagger.predict(docs, batch_size=4)
    assert sum(map(len, predicted)) > 0
    for doc, mentions in zip(docs, predicted):
        for m in mentions:
            assert 0 <= m.start < m.end <= len(doc.text)
            assert m.text == doc.text[m.start:m.end] and m.text == m.text.strip()
            assert m.type in TYPE_ORDER and 0 < m.score <= 1 and m.model == tagger.version
            assert m.doc_id == doc.pmid


def test_model_card_and_version(tiny_models, tiny_training):
    for kind, folder in tiny_models.items():
        meta = json.loads((folder / "litgraph.json").read_text())
        assert meta["version"] == model_version(kind, folder) == tiny_training[kind]["version"]
        assert meta["version"].startswith(f"{kind}:") and len(meta["version"]) == len(kind) + 13
        card = (folder / "README.md").read_text()
        assert meta["version"] in card and "## Dev scores" in card and "## Hyperparameters" in card
        assert "7afcec134e3d4871e74b0398d92850d3c9ac94c0bdc780003f2d60184c012bd8" in card  # bc5cdr train sha256
        assert f"**Precision**: {tiny_training[kind]['precision']}" in card and tiny_training[kind]["precision"] in ("fp32", "bf16")
    ner = json.loads((tiny_models["ner"] / "litgraph.json").read_text())
    assert ner["min_score"] in MIN_SCORES and ner["training"]["thresholds"] == {"min_score": ner["min_score"]}
    assert f"**Mention threshold**: {ner['min_score']}" in (tiny_models["ner"] / "README.md").read_text()
    assert tiny_training["ner"]["last_loss"] < tiny_training["ner"]["first_loss"]
    groups = json.loads((tiny_models["re"] / "litgraph.json").read_text())["groups"]
    assert groups["bc5cdr"]["most_specific"] and "most_specific" not in groups["biored"]  # as each corpus annotates
    assert "**Most specific relations**: `bc5cdr`" in (tiny_models["re"] / "README.md").read_text()


def test_relations_with_gold_entities(tiny_models, settings):
    extractor = RelationExtractor.load(tiny_models["re"])
    docs = load_corpus("biored:dev", settings)[:3]
    predicted = extractor.predict(docs)
    assert sum(map(len, predicted)) > 0
    for doc, relations in zip(docs, predicted):
        ids = {i for m in doc.mentions for i in m.ids}
        starts = {s for s, _ in sentences(doc.text)}
        ends = {e for _, e in sentences(doc.text)}
        for r in relations:
            assert r.subject in ids and r.object in ids and r.subject != r.object
            assert r.evidence_start in starts and r.evidence_end in ends
            assert r.model == extractor.version and 0 <= r.score <= 1
            assert (r.novel is None) == (r.type == "CID")


def test_corrupt_or_missing_model_folder_is_a_clear_error(tiny_models, tmp_path, data_dir):
    with pytest.raises(InputError, match="litgraph train ner"):
        NerTagger.load(tmp_path / "nothing")
    broken = tmp_path / "ner"
    shutil.copytree(tiny_models["ner"], broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(InputError, match="does not load"):
        NerTagger.load(broken)
    no_head = tmp_path / "re"
    shutil.copytree(tiny_models["re"], no_head)
    (no_head / "head.safetensors").unlink()
    with pytest.raises(InputError, match="litgraph train re"):
        RelationExtractor.load(no_head)
    with pytest.raises(InputError, match="expected 'ner'"):
        NerTagger.load(tiny_models["re"])
    result = CliRunner().invoke(main, ["eval", "ner", "--model", str(broken), "--corpus", "bc5cdr:dev", "--corpora", str(data_dir)])
    assert result.exit_code == 2 and "retrain" in result.output


def _slice(settings, name: str, n: int, path: Path) -> list:
    docs = load_corpus(name, settings)[:n]
    with open(path, "w", encoding="utf-8") as out:
        write_pubtator(docs, out)
    return docs


def test_eval_commands_write_the_contract_json(tiny_models, settings, tmp_path, data_dir):
    docs = _slice(settings, "bc5cdr:dev", 4, tmp_path / "bc5cdr_slice.txt")
    (tmp_path / "exclude.txt").write_text(f"# held out\n{docs[0].pmid}\n")
    runner = CliRunner()
    result = runner.invoke(main, ["eval", "ner", "--model", str(tiny_models["ner"]), "--corpus", str(tmp_path / "bc5cdr_slice.txt"),
                                  "--exclude-pmids", str(tmp_path / "exclude.txt"), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["documents"] == 3 and set(out["per_type"]) == {"Chemical", "Disease"}
    assert set(out["micro"]) == {"precision", "recall", "f1", "tp", "fp", "fn"}
    assert out["micro"]["tp"] + out["micro"]["fn"] == sum(len(d.mentions) for d in docs[1:])
    assert set(out["confusion"]) <= {"Chemical", "Disease", "none"}

    _slice(settings, "biored:dev", 3, tmp_path / "biored_slice.txt")
    result = runner.invoke(main, ["eval", "relations", "--model", str(tiny_models["re"]), "--corpus", str(tmp_path / "biored_slice.txt"),
                                  "--gold-entities", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out["levels"]) == {"pair", "pair+type", "pair+type+novelty"} and out["micro"] == out["levels"]["pair+type"]
    assert out["gold_entities"] is True and out["models"] == [json.loads((tiny_models["re"] / "litgraph.json").read_text())["version"]]

    result = runner.invoke(main, ["eval", "relations", "--corpus", "ncbi-disease:dev", "--gold-entities", "--corpora", str(data_dir),
                                  "--model", str(tiny_models["re"])])
    assert result.exit_code == 2 and "annotates no relations" in result.output


def test_extractor_streams_annotated_documents(tiny_models, normaliser_settings, samples_dir):
    from litgraph.connectors.pubmed_xml import read_pubmed_xml

    extractor = Extractor.from_settings(normaliser_settings, [tiny_models["re"], tiny_models["ner"]])
    assert [v.split(":")[0] for v in extractor.model_versions] == ["ner", "re"]
    docs = (r for r in read_pubmed_xml(samples_dir / "baseline" / "pubmed26n1334.xml.gz") if getattr(r, "abstract", ""))
    stream = extractor.annotate(docs, batch_size=4)
    first = [next(stream) for _ in range(5)]  # lazily: only what is asked for is annotated
    assert sum(len(d.mentions) for d in first) > 0
    for doc in first:
        for m in doc.mentions:
            assert doc.text[m.start:m.end] == m.text and m.model == extractor.model_versions[0]
            assert isinstance(m.ids, list)
        for r in doc.relations:
            assert r.model == extractor.model_versions[1]
            assert r.subject in {i for m in doc.mentions for i in m.ids}


def test_extract_command_writes_annotated_pubtator(tiny_models, normaliser_settings, settings, tmp_path):
    from litgraph.connectors.pubtator import read_pubtator

    docs = _slice(settings, "bc5cdr:dev", 3, tmp_path / "in.txt")
    out = tmp_path / "out.pubtator"
    result = CliRunner().invoke(main, [
        "extract", str(tmp_path / "in.txt"), "--model", str(tiny_models["ner"]), "--model", str(tiny_models["re"]),
        "--models", str(normaliser_settings.models), "--corpora", str(normaliser_settings.corpora),
        "--format", "pubtator", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    annotated = list(read_pubtator(out))
    assert [d.pmid for d in annotated] == [d.pmid for d in docs]
    assert [d.text for d in annotated] == [d.text for d in docs]
    assert sum(len(d.mentions) for d in annotated) > 0
    assert not list(tmp_path.glob(".out.pubtator.*"))  # the temporary file was renamed
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"pmid": "1", "title": "x"}\n{not json\n')
    result = CliRunner().invoke(main, ["extract", str(bad), "--model", str(tiny_models["ner"]), "--model", str(tiny_models["re"]),
                                       "--models", str(normaliser_settings.models)])
    assert result.exit_code == 2 and "line 2" in result.output
