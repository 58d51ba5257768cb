"""What packing costs: dev scores of the full fine-tuned models against their packed forms (a 2-, 4- or 8-bit
weight delta over the base), sizes, and per-type relation thresholds against one threshold per corpus.

    python bench/models_compact.py --ner FULL_NER_DIR --re FULL_RE_DIR [--limit N] [--bits 8,4,2] [--ship]

--ship writes the 4-bit forms, with per-type thresholds tuned on dev and their measured dev scores, to
litgraph/extract/shipped/{ner,re} (the default models of the package). Writes bench/results/models_compact.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from litgraph.extract import evaluate_relations
from litgraph.extract.corpus import load
from litgraph.extract.metrics import score_ner
from litgraph.extract.ner import NerTagger
from litgraph.extract.relations import RelationExtractor, retune_thresholds
from litgraph.extract.store import SHIPPED, training_record
from litgraph.extract.train import set_threads
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"
NER_DEV = ("bc5cdr:dev", "ncbi-disease:dev", "biored:dev")
RE_DEV = ("bc5cdr:dev", "biored:dev")


def size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def ner_scores(folder: Path, dev: dict) -> dict:
    tagger = NerTagger.load(folder)
    out = {}
    for name, gold in dev.items():
        result = score_ner(gold.documents, tagger.predict(gold.documents, 32), gold.annotates)
        out[name] = {"micro": round(result["micro"]["f1"], 4), **{t: round(v["f1"], 4) for t, v in result["per_type"].items()}}
    return out


def re_scores(settings: Settings, dirs: dict, dev: dict, end_to_end: bool) -> dict:
    out = {}
    for name, gold in dev.items():
        row = {}
        for gold_entities in (True, False) if end_to_end else (True,):
            result = evaluate_relations(settings, gold, dirs, gold_entities=gold_entities)
            key = "gold entities" if gold_entities else "end to end"
            row[key] = round(result["micro"]["f1"], 4)
            if "levels" in result:
                row[f"{key} pair"] = round(result["levels"]["pair"]["f1"], 4)
        out[name] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ner", required=True, type=Path, help="full fine-tuned NER model folder")
    parser.add_argument("--re", required=True, type=Path, help="full fine-tuned relation model folder")
    parser.add_argument("--ner-summary", type=Path, help="`litgraph train --format json` output of --ner, when its litgraph.json lacks it")
    parser.add_argument("--re-summary", type=Path, help="the same for --re")
    parser.add_argument("--limit", type=int, default=None, help="documents per dev split (default: all)")
    parser.add_argument("--bits", default="8,4,2", help="packed widths to compare with the full weights (4 is always included)")
    parser.add_argument("--ship", action="store_true", help="write the 4-bit forms to the package's shipped models")
    args = parser.parse_args()
    settings = Settings.from_env()
    set_threads()
    ner_dev = {name: load(name, settings, args.limit) for name in NER_DEV}
    re_dev = {name: load(name, settings, args.limit) for name in RE_DEV}
    out: dict = {"machine": f"{os.cpu_count()}-core {platform.machine()} CPU", "load_average_at_start": os.getloadavg(),
                 "limit": args.limit, "ner": {}, "re": {}}
    tmp = Path(tempfile.mkdtemp(prefix="litgraph-compact-"))
    full_ner, full_re = NerTagger.load(args.ner), RelationExtractor.load(args.re)
    for model, summary in ((full_ner, args.ner_summary), (full_re, args.re_summary)):
        if summary and "training" not in model.meta:
            model.meta["training"] = training_record(json.loads(summary.read_text()))
    ner_dirs = {"full": args.ner}
    re_dirs = {"full": args.re}
    for bits in sorted({int(b) for b in args.bits.split(",")} | {4}, reverse=True):
        ner_dirs[f"{bits}-bit"] = tmp / f"ner-{bits}"
        full_ner.pack(args.ner, ner_dirs[f"{bits}-bit"], bits)
        re_dirs[f"{bits}-bit"] = tmp / f"re-{bits}"
        full_re.pack(args.re, re_dirs[f"{bits}-bit"], bits)
    for variant, folder in ner_dirs.items():
        started = time.perf_counter()
        out["ner"][variant] = {"bytes": size(folder), "dev_f1": ner_scores(folder, ner_dev), "seconds": round(time.perf_counter() - started, 1)}
        print(f"NER {variant}: {size(folder) / 1e6:.1f} MB, dev F1 {out['ner'][variant]['dev_f1']}", flush=True)
    for variant, folder in re_dirs.items():
        dirs = {"ner": ner_dirs[variant], "re": folder}
        out["re"][variant] = {"bytes": size(folder), "dev_f1": re_scores(settings, dirs, re_dev, end_to_end=variant in ("full", "4-bit"))}
        print(f"RE {variant}: {size(folder) / 1e6:.1f} MB, dev F1 {out['re'][variant]['dev_f1']}", flush=True)

    # per-type thresholds, tuned on dev on the 4-bit form (the one shipped), then scored as above
    packed = RelationExtractor.load(re_dirs["4-bit"])
    retune_thresholds(packed, list(re_dev.values()))
    tuned = copy.deepcopy(full_re)
    tuned.meta["groups"] = packed.meta["groups"]
    tuned.pack(args.re, tmp / "re-4-tuned", 4)
    dirs = {"ner": ner_dirs["4-bit"], "re": tmp / "re-4-tuned"}
    out["re"]["4-bit, per-type thresholds"] = {"thresholds": tuned.thresholds(), "dev_f1": re_scores(settings, dirs, re_dev, end_to_end=True)}
    print(f"RE 4-bit, per-type thresholds: {out['re']['4-bit, per-type thresholds']}", flush=True)

    if args.ship:
        ner_card = {name: {"micro": row["micro"]} for name, row in out["ner"]["4-bit"]["dev_f1"].items()}
        full_ner.pack(args.ner, SHIPPED / "ner", 4, scores=ner_card)
        re_card = {name: {k: v for k, v in row.items()} for name, row in out["re"]["4-bit, per-type thresholds"]["dev_f1"].items()}
        tuned.pack(args.re, SHIPPED / "re", 4, scores=re_card)
        out["shipped"] = {kind: json.loads((SHIPPED / kind / "litgraph.json").read_text())["version"] for kind in ("ner", "re")}
        print(f"shipped: {out['shipped']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models_compact.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
