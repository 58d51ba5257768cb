"""Typed, versioned model metadata: the ``litgraph.json`` of a model folder, without importing torch.

``NerMeta`` and ``RelationMeta`` are what a model folder says about itself: its kind, version, base model,
window, labels or relation groups, how it was trained and packed. ``FORMAT`` numbers the layout of the
file; ``litgraph.json`` carries it as ``"format"`` (a file without it is format 1, the layout the first
trained and shipped models were written in). Reading a file of a format this litgraph does not know is an
InputError that says what to do, never a KeyError deep inside a model load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from litgraph.errors import InputError

#: The ``litgraph.json`` layout this litgraph reads and writes.
FORMAT = 1
META_FILE = "litgraph.json"


@dataclass
class ModelMeta:
    """What every model folder records."""

    kind: ClassVar[str] = ""
    version: str = ""  # kind + ":" + 12 hex digits of the weights' sha256 (set when the folder is saved)
    base_model: str = ""  # Hugging Face id or folder the model was fine-tuned from
    max_length: int = 0  # window in subword tokens
    overlap: int = 0  # tokens shared by neighbouring windows
    training: dict[str, Any] = field(default_factory=dict)  # what `litgraph models` shows of the training run
    packed: dict[str, Any] | None = None  # set on a packed folder: bits, base reference
    full_version: str | None = None  # version of the unpacked model a packed one was made from
    packed_dev_scores: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys this litgraph does not know, kept as they are

    def to_dict(self) -> dict[str, Any]:
        """The ``litgraph.json`` content (with ``format`` and ``kind``)."""
        data = {"format": FORMAT, "kind": self.kind}
        data.update({k: v for k, v in asdict(self).items() if k != "extra" and v is not None})
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = META_FILE) -> "ModelMeta":
        """Typed metadata from ``litgraph.json`` content; InputError for another kind, format or shape."""
        if not isinstance(data, dict):
            raise InputError(f"{META_FILE} must hold a JSON object, not {type(data).__name__}", path=where)
        check_format(data, where)
        kind = data.get("kind")
        meta_cls = {c.kind: c for c in (NerMeta, RelationMeta)}.get(kind)
        if meta_cls is None:
            raise InputError(f"unknown model kind {kind!r} in {META_FILE}", path=where)
        if cls is not ModelMeta and meta_cls is not cls:
            raise InputError(f"this is a {kind!r} model, expected {cls.kind!r}; pass the right --model", path=where)
        known = {f.name for f in fields(meta_cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known}
        missing = [f.name for f in fields(meta_cls) if f.name in meta_cls.required and f.name not in values]
        if missing:
            raise InputError(f"{META_FILE} lacks {', '.join(missing)}; retrain the model with `litgraph train`", path=where)
        extra = {k: v for k, v in data.items() if k not in known and k not in ("format", "kind")}
        return meta_cls(**values, extra=extra)

    required: ClassVar[tuple[str, ...]] = ("version", "base_model", "max_length", "overlap")


@dataclass
class NerMeta(ModelMeta):
    """An NER model: its BIO labels in output order."""

    kind: ClassVar[str] = "ner"
    labels: list[str] = field(default_factory=list)
    required: ClassVar[tuple[str, ...]] = ModelMeta.required + ("labels",)


@dataclass
class RelationMeta(ModelMeta):
    """A relation model: its relation types in output order and, per source corpus, the group it was trained on
    (types, entity type pairs, novelty, tuned thresholds)."""

    kind: ClassVar[str] = "re"
    relation_types: list[str] = field(default_factory=list)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    required: ClassVar[tuple[str, ...]] = ModelMeta.required + ("relation_types", "groups")


def check_format(data: dict[str, Any], where: str = META_FILE) -> int:
    """The format of ``litgraph.json`` content (1 when absent); InputError for one this litgraph cannot read."""
    fmt = data.get("format", 1)
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt < 1:
        raise InputError(f"{META_FILE} names format {fmt!r}, which no litgraph wrote; retrain the model with "
                         "`litgraph train`", path=where)
    if fmt > FORMAT:
        raise InputError(f"{META_FILE} is format {fmt}, written by a newer litgraph (this one reads format {FORMAT}); "
                         "upgrade litgraph to load this model", path=where)
    return fmt


def load(folder: Path) -> ModelMeta:
    """The typed metadata of a model folder (InputError when ``litgraph.json`` is missing or unreadable)."""
    path = Path(folder) / META_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"not a litgraph model folder ({META_FILE} missing); give a folder written by "
                         "`litgraph train`", path=str(folder)) from None
    except (OSError, ValueError) as err:
        raise InputError(f"{META_FILE} is unreadable ({err}); retrain the model with `litgraph train`",
                         path=str(folder)) from None
    return ModelMeta.from_dict(data, str(folder))
