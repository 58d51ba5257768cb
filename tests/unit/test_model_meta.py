"""Typed, versioned model metadata: the shipped models read as format 1; another format is a clear error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from litgraph.errors import InputError
from litgraph.extract.meta import FORMAT, META_FILE, ModelMeta, NerMeta, RelationMeta, load
from litgraph.extract.store import SHIPPED, model_kind, read_meta, read_model_meta


def test_the_shipped_models_load_as_typed_metadata():
    ner, re_ = read_model_meta(SHIPPED / "ner", "ner"), read_model_meta(SHIPPED / "re", "re")
    assert isinstance(ner, NerMeta) and isinstance(re_, RelationMeta)
    assert ner.version.startswith("ner:") and "O" in ner.labels and ner.max_length > 0
    assert re_.version.startswith("re:") and "CID" in re_.relation_types and set(re_.groups) == {"bc5cdr", "biored"}
    assert ner.packed and ner.full_version  # shipped packed
    raw = json.loads((SHIPPED / "ner" / META_FILE).read_text(encoding="utf-8"))
    assert read_meta(SHIPPED / "ner", "ner") == dict(raw, format=FORMAT)  # nothing lost or added but the format


def test_a_file_without_a_format_is_the_first_layout(tmp_path):
    folder = _copy(tmp_path, {"format": None})  # as the models shipped before formats were numbered
    assert "format" not in json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    assert read_model_meta(folder, "ner").labels == read_model_meta(SHIPPED / "ner", "ner").labels


def _copy(tmp_path: Path, change: dict) -> Path:
    folder = tmp_path / "ner"
    shutil.copytree(SHIPPED / "ner", folder)
    data = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    data.update(change)
    (folder / META_FILE).write_text(json.dumps({k: v for k, v in data.items() if v is not None}), encoding="utf-8")
    return folder


@pytest.mark.parametrize("change, message", [
    ({"format": FORMAT + 1}, "newer litgraph"),
    ({"format": 0}, "which no litgraph wrote"),
    ({"format": "1"}, "which no litgraph wrote"),
    ({"labels": None}, "lacks labels"),
    ({"kind": "tagger"}, "expected 'ner'"),
])
def test_another_format_or_shape_is_a_clear_error(tmp_path, change, message):
    folder = _copy(tmp_path, change)
    with pytest.raises(InputError, match=message) as caught:
        read_meta(folder, "ner")
    assert str(folder) in str(caught.value)


def test_round_trip_keeps_unknown_keys_and_writes_the_format():
    data = json.loads((SHIPPED / "re" / META_FILE).read_text(encoding="utf-8"))
    meta = ModelMeta.from_dict(dict(data, note="kept"))
    assert meta.to_dict() == dict(data, note="kept", format=FORMAT)
    with pytest.raises(InputError, match="expected 'ner'"):
        NerMeta.from_dict(data)
    assert model_kind(SHIPPED / "re") == "re" and load(SHIPPED / "re").kind == "re"


def test_reading_metadata_does_not_import_torch():
    code = ("import sys; from litgraph.extract.meta import load; from litgraph.pipeline.models import model_versions; "
            "from litgraph.extract.store import SHIPPED; load(SHIPPED / 'ner'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
