"""Throughput of NER + normalisation + relations in abstracts/s, fp32 against dynamic int8 quantisation,
with the NER F1 of both on the same BC5CDR dev abstracts (int8 is worth keeping only at ≤ 0.5 F1 loss).

    python bench/models_throughput.py [--models DIR] [--docs N] [--batch-size B]

Writes bench/results/models_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

import torch

from litgraph.extract import Extractor
from litgraph.extract.corpus import load
from litgraph.extract.metrics import score_ner
from litgraph.records import Document
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"


def run(settings: Settings, gold, int8: bool, batch_size: int) -> dict:
    extractor = Extractor.from_settings(settings, int8=int8)
    warm = [Document(d.pmid, d.title, d.abstract) for d in gold.documents[:4]]
    list(extractor.annotate(warm, batch_size))
    docs = [Document(d.pmid, d.title, d.abstract) for d in gold.documents]
    started = time.perf_counter()
    annotated = list(extractor.annotate(docs, batch_size))
    seconds = time.perf_counter() - started
    ner = score_ner(gold.documents, [d.mentions for d in annotated], gold.annotates)
    return {"abstracts": len(docs), "seconds": seconds, "abstracts_per_s": len(docs) / seconds, "ner_f1": ner["micro"]["f1"],
            "relations": sum(len(d.relations) for d in annotated), "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="models folder (default: LITGRAPH_MODELS)")
    parser.add_argument("--docs", type=int, default=100, help="BC5CDR dev abstracts to annotate")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    settings = Settings.from_env(models=args.models)
    gold = load("bc5cdr:dev", settings, args.docs)
    out = {"machine": f"{os.cpu_count()}-core {platform.machine()} CPU, shared with other jobs",
           "torch_threads": torch.get_num_threads(), "device": "cuda" if torch.cuda.is_available() else "cpu"}
    out["fp32"] = run(settings, gold, False, args.batch_size)
    print(f"fp32: {out['fp32']['abstracts_per_s']:.2f} abstracts/s, NER F1 {out['fp32']['ner_f1']:.4f}")
    if not torch.cuda.is_available():
        out["int8"] = run(settings, gold, True, args.batch_size)
        print(f"int8: {out['int8']['abstracts_per_s']:.2f} abstracts/s, NER F1 {out['int8']['ner_f1']:.4f}")
        out["int8_speedup"] = out["int8"]["abstracts_per_s"] / out["fp32"]["abstracts_per_s"]
        out["int8_f1_loss_points"] = 100 * (out["fp32"]["ner_f1"] - out["int8"]["ner_f1"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models_throughput.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
