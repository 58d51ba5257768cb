"""Throughput of NER + normalisation + relations in abstracts/s: fp32 against bf16 autocast (where the
hardware computes bf16) and dynamic int8 quantisation (CPU), with the NER F1 and the relations found by
each on the same BC5CDR dev abstracts (a faster mode is worth keeping only at ≤ 0.5 F1 loss), and where
the time goes: the NER pass (encoder, dictionary tags, decoding), normalisation, the relation pass. On a CPU,
bf16 also runs as inference ran before one window per encoder call and eager attention (8 windows per call,
PyTorch's SDPA attention): the same-run baseline of both.
``--rounds N`` runs the modes N times in alternating order and reports each mode's median round.

    python bench/models_throughput.py [--models DIR] [--docs N] [--batch-size B] [--rounds N] [--modes bf16,bf16_before]

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

from litgraph.extract import Extractor, data
from litgraph.extract.corpus import load
from litgraph.extract.metrics import score_ner
from litgraph.extract.train import device, native_bf16
from litgraph.records import Document
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"
DEFAULT_WINDOWS = data.CPU_INFERENCE_WINDOWS


def run(settings: Settings, gold, mode: str, batch_size: int) -> dict:
    data.CPU_INFERENCE_WINDOWS = 8 if mode == "bf16_before" else DEFAULT_WINDOWS
    if mode == "int8":
        extractor = Extractor.from_settings(settings, int8=True, precision="fp32")
    else:
        extractor = Extractor.from_settings(settings, precision=mode.split("_")[0])
    if mode == "bf16_before":
        for model in (extractor.ner.model, extractor.relations.model.encoder):
            model.set_attn_implementation("sdpa")
    warm = [Document(d.pmid, d.title, d.abstract) for d in gold.documents[:4]]
    list(extractor.annotate(warm, batch_size))
    docs = [Document(d.pmid, d.title, d.abstract) for d in gold.documents]
    stages: dict[str, float] = {}
    started = time.perf_counter()
    annotated = list(extractor.annotate(docs, batch_size, stage_seconds=stages))
    seconds = time.perf_counter() - started
    ner = score_ner(gold.documents, [d.mentions for d in annotated], gold.annotates)
    return {"abstracts": len(docs), "seconds": seconds, "abstracts_per_s": len(docs) / seconds, "ner_f1": ner["micro"]["f1"],
            "relations": sum(len(d.relations) for d in annotated),
            "stage_share": {k: round(v / seconds, 3) for k, v in stages.items()}, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="models folder (default: LITGRAPH_MODELS)")
    parser.add_argument("--docs", type=int, default=100, help="BC5CDR dev abstracts to annotate")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="runs of every mode, alternating; each mode's median is kept")
    parser.add_argument("--modes", help="comma-separated subset of the modes (default: all that the machine runs)")
    args = parser.parse_args()
    settings = Settings.from_env(models=args.models)
    gold = load("bc5cdr:dev", settings, args.docs)
    gpu = torch.cuda.is_available()
    out = {"machine": torch.cuda.get_device_name() if gpu else f"{os.cpu_count()}-core {platform.machine()} CPU",
           "load_average_at_start": os.getloadavg(), "torch_threads": torch.get_num_threads(),
           "native_bf16": native_bf16(device())}
    bf16 = ["bf16"] + ([] if gpu else ["bf16_before"]) if native_bf16(device()) else []
    modes = ["fp32"] + bf16 + ([] if gpu else ["int8"])
    if args.modes:
        modes = [m for m in modes if m in args.modes.split(",")]
    rounds: dict[str, list[dict]] = {mode: [] for mode in modes}
    for k in range(args.rounds):
        for mode in (modes if k % 2 == 0 else modes[::-1]):
            rounds[mode].append(run(settings, gold, mode, args.batch_size))
            print(f"round {k + 1} {mode}: {rounds[mode][-1]['abstracts_per_s']:.2f} abstracts/s")
    out["rounds"] = args.rounds
    for mode in modes:
        out[mode] = sorted(rounds[mode], key=lambda r: r["abstracts_per_s"])[len(rounds[mode]) // 2]
        out[mode]["abstracts_per_s_rounds"] = [round(r["abstracts_per_s"], 2) for r in rounds[mode]]
        print(f"{mode}: {out[mode]['abstracts_per_s']:.2f} abstracts/s, NER F1 {out[mode]['ner_f1']:.4f}, "
              f"{out[mode]['relations']} relations, share of time {out[mode]['stage_share']}")
        if mode != "fp32" and "fp32" in out:
            out[f"{mode}_speedup"] = out[mode]["abstracts_per_s"] / out["fp32"]["abstracts_per_s"]
            out[f"{mode}_f1_loss_points"] = 100 * (out["fp32"]["ner_f1"] - out[mode]["ner_f1"])
    if "bf16_before" in out and "bf16" in out:
        out["bf16_speedup_over_before"] = out["bf16"]["abstracts_per_s"] / out["bf16_before"]["abstracts_per_s"]
    out["cpu_inference_windows"] = DEFAULT_WINDOWS
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models_throughput.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
