"""Dev-split scores of the trained models: NER (BC5CDR, NCBI-disease, BioRED) and relations
(BC5CDR CID and BioRED, with gold entities and end to end), plus training time per epoch from the model cards.

    python bench/models_dev_scores.py [--models DIR] [--limit N]

Writes bench/results/models_dev_scores.json (models_dev_scores_firstN.json with --limit N).
"""

from __future__ import annotations

import argparse
import json
import platform
import os
import time
from pathlib import Path

from litgraph.extract import default_model_dirs, evaluate_relations
from litgraph.extract.corpus import load
from litgraph.extract.metrics import score_ner
from litgraph.extract.ner import NerTagger
from litgraph.extract.train import set_threads
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="models folder (default: LITGRAPH_MODELS)")
    parser.add_argument("--limit", type=int, default=None, help="documents per dev split (default: all)")
    args = parser.parse_args()
    settings = Settings.from_env(models=args.models)
    set_threads()
    dirs = default_model_dirs(settings)
    out: dict = {"machine": f"{os.cpu_count()}-core {platform.machine()} CPU", "load_average_at_start": os.getloadavg(),
                 "limit": args.limit}
    for kind, folder in dirs.items():
        meta = json.loads((folder / "litgraph.json").read_text())
        card = (folder / "README.md").read_text()
        out[f"{kind}_model"] = {"version": meta["version"], "card_training_line": next(l for l in card.splitlines() if "Training time" in l)}
    tagger = NerTagger.load(dirs["ner"], settings)
    out["ner"] = {}
    for name in ("bc5cdr:dev", "ncbi-disease:dev", "biored:dev"):
        gold = load(name, settings, args.limit)
        started = time.perf_counter()
        result = score_ner(gold.documents, tagger.predict(gold.documents, 32), gold.annotates)
        out["ner"][name] = {"micro": result["micro"], "per_type": result["per_type"], "documents": result["documents"],
                            "seconds": time.perf_counter() - started}
        print(f"NER {name}: micro-F1 {result['micro']['f1']:.4f}")
    out["relations"] = {}
    for name in ("bc5cdr:dev", "biored:dev"):
        gold = load(name, settings, args.limit)
        for gold_entities in (True, False):
            started = time.perf_counter()
            result = evaluate_relations(settings, gold, dirs, gold_entities=gold_entities)
            key = f"{name} {'gold entities' if gold_entities else 'end to end'}"
            out["relations"][key] = dict(result, seconds=time.perf_counter() - started)
            levels = result.get("levels", {})
            extra = f", pair F1 {levels['pair']['f1']:.4f}" if levels else ""
            print(f"RE {key}: F1 {result['micro']['f1']:.4f}{extra}")
    RESULTS.mkdir(exist_ok=True)
    name = f"models_dev_scores_first{args.limit}.json" if args.limit else "models_dev_scores.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
