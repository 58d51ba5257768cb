"""Packed model folders (a quantised delta over the base) and resumable training, on tiny real models."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from litgraph.cli import main
from litgraph.errors import InputError
from litgraph.extract import compact
from litgraph.extract.corpus import load
from litgraph.extract.ner import NerTagger
from litgraph.extract.relations import RelationExtractor, prepare
from litgraph.extract.store import model_version, read_meta

pytestmark = pytest.mark.slow


def _pack(src: Path, out: Path, bits: int) -> dict:
    result = CliRunner().invoke(main, ["models", "pack", str(src), "--out", str(out), "--bits", str(bits), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("bits", [8, 4])
def test_packed_ner_rebuilds_the_weights_within_the_quantisation_step(tiny_models, tmp_path, bits):
    full = NerTagger.load(tiny_models["ner"])
    summary = _pack(tiny_models["ner"], tmp_path / "packed", bits)
    assert summary["full_version"] == full.version != summary["version"]
    assert summary["bytes"] < (10e6 if bits == 4 else 13e6)  # MiniLM-L6: about 6.6 MB at 4 bits, 12 MB at 8
    packed = NerTagger.load(tmp_path / "packed")
    assert packed.version == summary["version"] == model_version("ner", tmp_path / "packed")
    recipe = read_meta(tmp_path / "packed", "ner")["packed"]
    assert recipe["base"] == compact.PACKAGE_BASE and recipe["bits"] == bits
    a, b = full.model.state_dict(), packed.model.state_dict()
    assert a.keys() == b.keys()
    for name, how in recipe["tensors"].items():
        if how["how"] == "delta":
            # round to nearest: at most half a step (group absmax / top level) per value
            base = compact._base_state(recipe["base"], [name], recipe["prefix"])[name]
            step = (a[name] - base).abs().max() / (2 ** (bits - 1) - 1)
            assert (a[name] - b[name]).abs().max() <= step / 2 + 1e-6, name
        elif how["how"] == "base":
            assert torch.equal(a[name], b[name]), name  # the frozen word embeddings come back exactly
        else:
            assert torch.allclose(a[name].float(), b[name].float(), atol=1e-3), name


def test_packed_models_predict_like_the_full_ones(tiny_models, tmp_path, settings):
    docs = load("bc5cdr:dev", settings, 8).documents
    full = NerTagger.load(tiny_models["ner"])
    _pack(tiny_models["ner"], tmp_path / "ner", 8)
    packed = NerTagger.load(tmp_path / "ner")
    spans = lambda tagger: {(k, m.start, m.end, m.type) for k, ms in enumerate(tagger.predict(docs)) for m in ms}  # noqa: E731
    a, b = spans(full), spans(packed)
    assert a and len(a & b) >= 0.95 * len(a | b)

    _pack(tiny_models["re"], tmp_path / "re", 8)
    full_re, packed_re = RelationExtractor.load(tiny_models["re"]), RelationExtractor.load(tmp_path / "re")
    assert packed_re.meta["groups"] == full_re.meta["groups"]

    def scores(rex: RelationExtractor) -> list[float]:
        per_doc = rex.scores([prepare(doc, rex.tokenizer) for doc in docs])
        return [float(x) for groups in per_doc for pairs in groups.values() for _, _, probs in pairs for x in probs]

    sa, sb = scores(full_re), scores(packed_re)
    assert sa and max(abs(x - y) for x, y in zip(sa, sb)) < 0.02


def test_a_corrupt_packed_folder_is_an_input_error(tiny_models, tmp_path):
    _pack(tiny_models["ner"], tmp_path / "packed", 4)
    (tmp_path / "packed" / compact.DELTA).write_bytes(b"not safetensors")
    with pytest.raises(InputError, match="does not load"):
        NerTagger.load(tmp_path / "packed")
    result = CliRunner().invoke(main, ["models", "pack", str(tmp_path / "packed"), "--out", str(tmp_path / "x"), "--bits", "3"])
    assert result.exit_code == 2


def _train_args(out: Path, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "litgraph", "train", "ner", "--out", str(out), "--corpora", str(data_dir),
            "--corpus", "bc5cdr:train", "--dev", "bc5cdr:dev", "--epochs", "3", "--max-length", "96", "--train-limit", "16",
            "--dev-limit", "2", "--batch-size", "8", "--lr", "3e-4", "--precision", "fp32", "--quiet", "--format", "json"]


def test_an_interrupted_training_resumes_after_its_last_finished_epoch(tmp_path, data_dir):
    env = dict(os.environ, LITGRAPH_THREADS="1")
    out = tmp_path / "split"
    checkpoint = out / "checkpoint" / "last.pt"
    first = subprocess.Popen(_train_args(out, data_dir), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    while not checkpoint.is_file() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # stopped hard after its first epoch's checkpoint
    first.wait()
    assert checkpoint.is_file() and not (out / "litgraph.json").exists()

    resumed = subprocess.run(_train_args(out, data_dir) + ["--resume"], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    done = int(re.search(r"resumed after epoch (\d+)", resumed.stderr).group(1))
    assert 1 <= done < 3
    summary = json.loads(resumed.stdout)
    assert len(summary["epoch_seconds"]) == 3  # the finished epochs come from the checkpoint, the rest were trained
    assert read_meta(out, "ner")["version"] == summary["version"]
    assert not checkpoint.exists()  # the finished model folder replaces the run's checkpoint
