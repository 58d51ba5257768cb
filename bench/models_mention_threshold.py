"""The NER mention threshold: strict micro-F1 on the three dev splits at each threshold of ``ner.MIN_SCORES`` for the
NER model in use (a decoded mention whose score, the mean probability of its words' labels, is below the threshold is
dropped), the one ``tune_min_score`` picks, and the same pick tuned on one half of the documents and scored on the
other (how much of the gain is the dev split's own noise).

    python bench/models_mention_threshold.py [--models DIR] [--ship]

--ship writes the tuned threshold into the shipped NER model (litgraph/extract/shipped/ner; a new version, its card
with the dev scores at it) and stamps both shipped models again (their versions cover their thresholds). Writes
bench/results/models_mention_threshold.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from dataclasses import replace
from pathlib import Path

from litgraph.extract import compact, default_model_dirs
from litgraph.extract.corpus import CorpusDocs, load
from litgraph.extract.ner import NerTagger, tune_min_score
from litgraph.extract.store import KINDS, SHIPPED, read_meta
from litgraph.extract.train import set_threads
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"
DEV = ("bc5cdr:dev", "ncbi-disease:dev", "biored:dev")


def half(corpus: CorpusDocs, parity: int) -> CorpusDocs:
    """Every other document of ``corpus`` (even positions for parity 0)."""
    return replace(corpus, documents=corpus.documents[parity::2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="models folder (default: LITGRAPH_MODELS, else the shipped models)")
    parser.add_argument("--ship", action="store_true", help="write the tuned threshold into the shipped NER model")
    args = parser.parse_args()
    settings = Settings.from_env(models=args.models)
    set_threads(settings)
    folder = SHIPPED / "ner" if args.ship else default_model_dirs(settings)["ner"]
    tagger = NerTagger.load(folder, settings)
    dev = [load(name, settings) for name in DEV]
    sweep: dict[float, dict[str, float]] = {}
    chosen, scores = tune_min_score(tagger, dev, 32, sweep)
    out = {"machine": f"{os.cpu_count()}-core {platform.machine()} CPU", "model": tagger.version,
           "sweep": {str(t): {n: round(f, 4) for n, f in row.items()} for t, row in sweep.items()}, "chosen": chosen}
    for threshold, row in sweep.items():
        print(f"{threshold:.2f}  " + "  ".join(f"{n} {f:.4f}" for n, f in row.items()))
    print(f"chosen {chosen}")
    out["split_half"] = []
    for parity in (0, 1):
        picked, _ = tune_min_score(tagger, [half(c, parity) for c in dev], 32)
        held: dict[float, dict[str, float]] = {}  # every threshold's F1 on the other half, from one encoder pass
        tune_min_score(tagger, [half(c, 1 - parity) for c in dev], 32, held)
        row = {"tuned_on": "even" if parity == 0 else "odd", "threshold": picked,
               "held_out": {name: {str(t): round(held[t][name], 4) for t in (0.0, picked)} for name in held[0.0]}}
        out["split_half"].append(row)
        print(f"tuned on the {row['tuned_on']} half: {picked}; the other half, without / with it: {row['held_out']}")
    if args.ship:
        meta = read_meta(folder, "ner")
        meta["min_score"] = chosen
        meta["training"] = dict(meta["training"], thresholds={"min_score": chosen})
        meta["packed_dev_scores"] = {name: {"micro": round(s["micro"]["f1"], 4)} for name, s in scores.items()}
        out["shipped"] = {"ner": compact.restamp(folder, meta)}
        out["shipped"]["re"] = compact.restamp(SHIPPED / "re", read_meta(SHIPPED / "re", "re"))
        assert set(out["shipped"]) == set(KINDS)
        print(f"shipped: {out['shipped']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models_mention_threshold.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
