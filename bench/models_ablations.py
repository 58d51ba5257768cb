"""Ablations on dev: ``--augment`` (mention replacement), ``--adversarial fgm`` and the base model
(MiniLM-L6 against a larger checkpoint such as all-mpnet-base-v2), each trained with the same small
recipe (the ``quick`` preset with more dev documents), so the differences and the costs are comparable.

    python bench/models_ablations.py [--kinds ner,re] [--variants baseline,augment,fgm,base]
                                     [--base-model PATH] [--dev-limit N]

``base`` trains with ``--base-model`` (see docs/models.md for assembling all-mpnet-base-v2 offline).
Writes bench/results/models_ablations.json (one entry per kind and variant: dev F1 per corpus,
seconds per epoch wall and CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import torch

from litgraph.extract import train_model
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"
VARIANTS = {"baseline": {}, "augment": {"augment": True}, "fgm": {"adversarial": "fgm"}, "base": {}}


def dev_f1(summary: dict) -> dict[str, float]:
    """The headline dev F1 of each dev corpus (NER micro; relations micro with gold entities)."""
    return {corpus: next(iter(scores.values()))["f1"] for corpus, scores in summary["dev_scores"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="ner,re")
    parser.add_argument("--variants", default="baseline,augment,fgm")
    parser.add_argument("--base-model", help="checkpoint (path or id) for the `base` variant")
    parser.add_argument("--dev-limit", type=int, default=100, help="dev documents per corpus")
    args = parser.parse_args()
    settings = Settings.from_env()
    path = RESULTS / "models_ablations.json"
    out = json.loads(path.read_text()) if path.exists() else {}
    out["machine"] = f"{os.cpu_count()}-core {platform.machine()} CPU" if not torch.cuda.is_available() else torch.cuda.get_device_name()
    out["recipe"] = f"quick preset, dev_limit {args.dev_limit}, one seed"
    for kind in args.kinds.split(","):
        for variant in args.variants.split(","):
            if variant == "base" and not args.base_model:
                parser.error("the `base` variant needs --base-model")
            overrides = dict(VARIANTS[variant], dev_limit=args.dev_limit)
            with tempfile.TemporaryDirectory() as tmp:
                summary = train_model(kind, settings, Path(tmp) / kind, preset="quick", overrides=overrides, progress=False,
                                base_model=args.base_model if variant == "base" else None)
            key = f"{kind} {variant}" + (f" ({Path(args.base_model).name})" if variant == "base" else "")
            out[key] = {"dev_f1": dev_f1(summary), "epoch_seconds": summary["epoch_seconds"],
                        "epoch_cpu_seconds": summary["epoch_cpu_seconds"], "precision": summary.get("precision"),
                        "load_average_after": os.getloadavg()}
            print(key, json.dumps(out[key]), flush=True)
            RESULTS.mkdir(exist_ok=True)
            path.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
