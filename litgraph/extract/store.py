"""Model folders: atomic saving, a stable version string, the model card, and clear errors on load.

A model folder holds the Hugging Face weights and config, the tokenizer, ``litgraph.json`` (kind,
label map, window size, thresholds, version) and a model card ``README.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litgraph.errors import InputError
from litgraph.extract.meta import FORMAT, META_FILE, ModelMeta, NerMeta, RelationMeta

if TYPE_CHECKING:
    from litgraph.settings import Settings

META = META_FILE
KINDS = ("ner", "re")
#: The default models shipped inside the package (packed: a delta over MiniLM-L6, see ``compact``).
SHIPPED = Path(__file__).parent / "shipped"
WEIGHTS = ("model.safetensors", "pytorch_model.bin", "delta.safetensors")  # the last: a packed model (extract/compact.py)
TRAIN_HINT = {"ner": "litgraph train ner --out {path}", "re": "litgraph train re --out {path}"}


def quiet_transformers() -> None:
    """Silence transformers' load reports and progress bars (litgraph prints its own)."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def checkpoint_path(out: Path) -> Path:
    """The per-epoch training checkpoint of a model being trained into ``out`` (``train --resume`` reads it)."""
    return Path(out) / "checkpoint" / "last.pt"


def weights_file(folder: Path) -> Path | None:
    """The weights file of a model folder, if any."""
    for name in WEIGHTS:
        if (folder / name).is_file():
            return folder / name
    return None


def user_model_dirs(settings: "Settings") -> dict[str, Path]:
    """Where ``litgraph train`` writes the NER and relation models by default: the models folder."""
    return {kind: Path(settings.models) / kind for kind in KINDS}


def is_model_folder(folder: Path, kind: str) -> bool:
    """True when ``folder`` holds a model of ``kind`` (meta, config and weights present)."""
    try:
        read_meta(folder, kind)
    except InputError:
        return False
    return True


def default_model_dirs(settings: "Settings") -> dict[str, Path]:
    """The models used when none is given: a trained model in the models folder, else the shipped default."""
    dirs = user_model_dirs(settings)
    for kind, folder in dirs.items():
        if not is_model_folder(folder, kind) and is_model_folder(SHIPPED / kind, kind):
            dirs[kind] = SHIPPED / kind
    return dirs


def model_kind(folder: Path) -> str:
    """``ner`` or ``re``, read from a model folder's ``litgraph.json`` (checked: kind, format, fields)."""
    from litgraph.extract.meta import load

    return load(Path(folder)).kind


def resolve_model_dirs(settings: "Settings", model_dirs=None) -> dict[str, Path]:
    """The NER and relation model folders: given ones (a list told apart by their kind, or a dict) over the defaults."""
    dirs = default_model_dirs(settings)
    if isinstance(model_dirs, dict):
        dirs.update({k: Path(v) for k, v in model_dirs.items()})
    elif model_dirs:
        given: dict[str, Path] = {}
        for folder in model_dirs:
            folder = Path(folder)
            if not folder.is_dir():
                raise InputError("model folder not found; give a folder written by `litgraph train`", path=str(folder))
            kind = model_kind(folder)
            if kind in given:
                raise InputError(f"two {kind} models given; pass at most one NER and one relation model", path=str(folder))
            given[kind] = folder
        dirs.update(given)
    return dirs


def model_version(kind: str, folder: Path, meta: dict[str, Any] | None = None) -> str:
    """``kind:`` + the first 12 hex digits of a sha256 over the weights (encoder and head), the config and the
    decision thresholds tuned on dev (``decisions``; from ``meta``, else the folder's ``litgraph.json``): whatever
    changes what the model outputs changes its version, so the graph's ledger re-extracts with it."""
    digest = hashlib.sha256()
    extra = [folder / "head.safetensors"] if (folder / "head.safetensors").is_file() else []
    for path in [weights_file(folder), folder / "config.json", *extra]:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    if meta is None and (folder / META).is_file():
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    chosen = decisions(meta or {})
    if chosen:
        digest.update(json.dumps(chosen, sort_keys=True).encode())
    return f"{kind}:{digest.hexdigest()[:12]}"


def decisions(meta: dict[str, Any]) -> dict[str, Any]:
    """The decisions in a model's meta: the NER mention threshold, the relation groups' thresholds and whether a group
    keeps the most specific relations only."""
    out: dict[str, Any] = {}
    if meta.get("min_score"):
        out["min_score"] = meta["min_score"]
    for name, group in sorted(meta.get("groups", {}).items()):
        out[name] = {"threshold": group.get("threshold"), "type_thresholds": group.get("type_thresholds", {})}
        if group.get("most_specific"):
            out[name]["most_specific"] = True
    return out


def read_meta(folder: Path, kind: str) -> dict[str, Any]:
    """The ``litgraph.json`` of a model folder of this kind, or an InputError saying what to do."""
    folder = Path(folder)
    hint = TRAIN_HINT[kind].format(path=folder)
    if not folder.is_dir():
        raise InputError(f"no {kind.upper()} model here; train one with `{hint}` or pass --model DIR", path=str(folder))
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"not a litgraph model folder ({META} missing); retrain with `{hint}`", path=str(folder)) from None
    except (OSError, ValueError) as err:
        raise InputError(f"{META} is corrupt ({err}); retrain with `{hint}`", path=str(folder)) from None
    if not isinstance(meta, dict) or meta.get("kind") != kind:
        found = meta.get("kind") if isinstance(meta, dict) else None
        raise InputError(f"this is a {found!r} model, expected {kind!r}; pass the right --model", path=str(folder))
    if weights_file(folder) is None or not (folder / "config.json").is_file():
        raise InputError(f"model weights or config.json missing; retrain with `{hint}`", path=str(folder))
    return ModelMeta.from_dict(meta, str(folder)).to_dict()  # format and fields checked (an old layout is format 1)


def read_model_meta(folder: Path, kind: str) -> "NerMeta | RelationMeta":
    """``read_meta`` as the typed ``NerMeta`` or ``RelationMeta``."""
    return ModelMeta.from_dict(read_meta(folder, kind), str(folder))


def load_error(folder: Path, kind: str, err: Exception) -> InputError:
    """An InputError for a model folder whose files exist but do not load."""
    hint = TRAIN_HINT[kind].format(path=folder)
    return InputError(f"the {kind.upper()} model does not load ({type(err).__name__}: {err}); retrain with `{hint}`", path=str(folder))


def git_commit() -> str | None:
    """The git commit of the source tree, when it is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return out.stdout.strip() or None


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def machine() -> str:
    """A one-line description of the training machine."""
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} GPU, {os.cpu_count()} CPU cores"
    return f"{os.cpu_count()}-core {platform.machine()} CPU ({platform.processor() or platform.system()}), torch threads {torch.get_num_threads()}"


def save_folder(out: Path, write, meta: dict[str, Any], card: str) -> str:
    """Write a model folder atomically: ``write(tmpdir)`` saves weights and tokenizer, then meta and card.

    Returns the model version. An existing folder is replaced only once the new one is complete.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a model folder is shared like any other output
    try:
        write(tmp)
        meta = dict(meta, format=FORMAT)
        meta["version"] = model_version(meta["kind"], tmp, meta)
        (tmp / META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        (tmp / "README.md").write_text(card.replace("{version}", meta["version"]), encoding="utf-8")
        for file in tmp.iterdir():
            file.chmod(0o644)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta["version"]


TRAINING_FIELDS = ("corpora", "dev_scores", "hyperparameters", "thresholds", "train_seconds", "epoch_seconds", "epoch_cpu_seconds", "best_epoch",
                   "machine", "precision", "git_commit", "initialised_from")


def initialised_from(meta: dict[str, Any]) -> dict[str, Any]:
    """What a continued run records of the model it started from: version, epochs and time so far (all runs)."""
    training = meta.get("training", {})
    earlier = training.get("initialised_from") or {"epochs": 0, "train_seconds": 0.0}
    return {"version": meta.get("full_version") or meta["version"],
            "epochs": earlier["epochs"] + len(training.get("epoch_seconds", [])),
            "train_seconds": earlier["train_seconds"] + training.get("train_seconds", 0.0)}


def training_record(summary: dict[str, Any]) -> dict[str, Any]:
    """What ``litgraph.json`` keeps of a training summary (``litgraph models`` shows it)."""
    return {k: summary[k] for k in TRAINING_FIELDS if k in summary}


def describe(settings: "Settings", model_dirs=None) -> list[dict[str, Any]]:
    """The models a command would use: kind, folder, where it comes from, version, base, data, decision thresholds,
    dev scores of the training run and, for a packed model, those measured on its packed form."""
    given = resolve_model_dirs(settings, model_dirs)
    trained = user_model_dirs(settings)
    out = []
    for kind, folder in given.items():
        meta = read_meta(folder, kind)
        source = "shipped" if folder == SHIPPED / kind else "models folder" if folder == trained[kind] else "given"
        training = meta.get("training", {})
        out.append({
            "kind": kind, "folder": str(folder), "source": source, "version": meta["version"],
            "base_model": meta.get("base_model"), "packed_bits": meta.get("packed", {}).get("bits"),
            "full_version": meta.get("full_version"),
            "training_data": [c["name"] for c in training.get("corpora", []) if c.get("role") == "train"],
            "dev_scores": {corpus: {metric: round(s["f1"], 4) for metric, s in scores.items() if isinstance(s, dict) and "f1" in s}
                           for corpus, scores in training.get("dev_scores", {}).items()},
            "trained": {k: training[k] for k in ("machine", "train_seconds", "precision", "git_commit") if k in training},
            "thresholds": decisions(meta),
            "packed_dev_scores": meta.get("packed_dev_scores", {}),
        })
    return out


def model_card(kind: str, summary: dict[str, Any]) -> str:
    """The model card (README.md) of a trained model from its training summary."""
    task = {"ner": "Named-entity recognition (BIO token classification)", "re": "Document-level relation extraction (typed entity markers, pooled entities, pair classifier)"}[kind]
    lines = [
        f"# litgraph {kind.upper()} model `{{version}}`",
        "",
        f"{task}, fine-tuned by `litgraph train {kind}`.",
        "",
        f"- **Base model**: `{summary['base_model']}`",
        f"- **Labels**: {', '.join(summary['labels'])}",
        f"- **Training time**: {summary['train_seconds']:.0f} s wall; per epoch {', '.join(f'{s:.0f}' for s in summary['epoch_seconds'])} s wall, "
        f"{', '.join(f'{s:.0f}' for s in summary.get('epoch_cpu_seconds', []))} s CPU",
        f"- **Machine**: {summary['machine']}",
        f"- **Precision**: {summary.get('precision', 'fp32')} (weights fp32; bf16 = autocast of the matrix products)",
        f"- **Git commit**: `{summary.get('git_commit') or 'unknown'}`",
        f"- **Best epoch**: {summary['best_epoch']} of {len(summary['epoch_seconds'])}",
    ]
    if "min_score" in summary.get("thresholds", {}):
        lines.append(f"- **Mention threshold**: {summary['thresholds']['min_score']} (a decoded mention whose mean label "
                     "probability is lower is dropped; tuned on dev)")
    specific = [name for name, group in summary.get("thresholds", {}).items() if isinstance(group, dict) and group.get("most_specific")]
    if specific:
        lines.append(f"- **Most specific relations**: {', '.join(f'`{name}`' for name in specific)} (as the corpus annotates: of two "
                     "relations of one type and subject, the one whose object is a broader MeSH concept is dropped when the "
                     "narrower one scores at least as high)")
    if summary.get("initialised_from"):
        start = summary["initialised_from"]
        lines.append(f"- **Initialised from**: `{start['version']}` ({start['epochs']} earlier epochs, {start['train_seconds']:.0f} s; "
                     "this run continued its fine-tuning)")
    lines += [
        "",
        "## Data",
        "",
        "| corpus | role | documents | sha256 |",
        "|---|---|---:|---|",
    ]
    for c in summary["corpora"]:
        lines.append(f"| `{c['name']}` | {c['role']} | {c['documents']} | `{c['sha256']}` |")
    lines += ["", "## Hyperparameters", "", "```json", json.dumps(summary["hyperparameters"], indent=2), "```", "", "## Dev scores", ""]
    lines += ["| corpus | metric | precision | recall | F1 |", "|---|---|---:|---:|---:|"]
    for corpus, scores in summary["dev_scores"].items():
        for metric, s in scores.items():
            lines.append(f"| `{corpus}` | {metric} | {s['precision']:.4f} | {s['recall']:.4f} | {s['f1']:.4f} |")
    lines += ["", "Scores are strict matches on the dev documents used during training (see `dev_limit`).", ""]
    lines += ["## Licences", ""]
    corpora = sorted({c["name"].split(":")[0] for c in summary["corpora"]})
    for corpus in corpora:
        lines.append(f"- `{corpus}`: {DATA_LICENCES.get(corpus, 'see the corpus release notice')}")
    lines += [f"- base model `{summary['base_model']}`: see its own model card (MiniLM-L6 / all-MiniLM-L6-v2: Apache-2.0)", ""]
    return "\n".join(lines)


#: The notice of each corpus the default models are trained on (the release files say so).
DATA_LICENCES = {
    "bc5cdr": "public domain (NCBI/NLM, a United States Government Work); cite Li et al. 2016, Database baw068",
    "biored": "public domain (NCBI/NLM, a United States Government Work); cite Luo et al. 2022, Brief. Bioinform. 23(5)",
    "ncbi-disease": "public domain (NCBI/NLM, a United States Government Work); cite Doğan et al. 2014, J. Biomed. Inform. 47",
}
