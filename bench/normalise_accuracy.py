"""Normalisation accuracy@1 on the gold mentions of the dev splits, with an ablation of every step.

Builds two indexes in a temporary folder (with and without the train-split names), then scores the
pipeline with its steps switched on one after another (exact -> +abbreviation -> ... -> +fuzzy), the full
pipeline with fuzzy answers from the lower threshold of names (as mentions had them before), and the full
pipeline without train names. Each row also gives the precision of the ids given (right / mentions with an id). Gold MeSH ids retired from the vocabulary since the corpus was
annotated count as their current concept (``litgraph.normalise.evaluate.retired_ids``, the default of
``litgraph eval normalise``); one more row scores the full pipeline against the ids as written
(``--strict-ids``). Also reports the ceiling: the share of gold mentions whose ids, as written, all exist
in the vocabularies (MeSH version drift, non-human genes).

Run: python bench/normalise_accuracy.py [--corpora DIR]. Writes bench/results/normalise_accuracy.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from litgraph.fetch.corpora import load_corpus  # noqa: E402
from litgraph.normalise import STEPS, Normaliser, build_index, evaluate  # noqa: E402
from litgraph.normalise.evaluate import retired_ids  # noqa: E402
from litgraph.normalise.normaliser import NAME_FUZZY_THRESHOLD, TRAIN_SPLITS, train_documents  # noqa: E402
from litgraph.settings import Settings  # noqa: E402

DEV = {"bc5cdr:dev": ("Chemical", "Disease"), "ncbi-disease:dev": ("Disease",), "biored:dev": ("Chemical", "Disease", "Gene")}
TARGETS = {"bc5cdr:dev": {"all": 0.92, "Chemical": 0.95, "Disease": 0.89}, "ncbi-disease:dev": {"all": 0.90},
           "biored:dev": {"Gene": 0.90}}


def _row(result: dict) -> dict:
    row = {"all": round(result["accuracy"], 4)}
    row.update({t: round(v["accuracy"], 4) for t, v in result["per_type"].items()})
    row["precision"] = {"all": round(result["precision"], 4), **{t: round(v["precision"], 4) for t, v in result["per_type"].items()}}
    return row


def _ceiling(normaliser: Normaliser, docs, types) -> dict:
    known = set(normaliser.index.ids)
    total, reachable = {}, {}
    for doc in docs:
        for m in doc.mentions:
            if m.type in types and m.ids:
                total[m.type] = total.get(m.type, 0) + 1
                reachable[m.type] = reachable.get(m.type, 0) + all(i in known for i in m.ids)
    return {t: round(reachable[t] / total[t], 4) for t in total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "data"))
    args = parser.parse_args()
    settings = Settings.from_env(corpora=args.corpora)
    corpora = {name: load_corpus(name, settings) for name in DEV}
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs (shared with other jobs)",
                     "ablation": {}}
    with tempfile.TemporaryDirectory() as tmp:
        docs, used = train_documents(settings, TRAIN_SPLITS)
        started = time.perf_counter()
        with_train = Normaliser(build_index(Path(tmp) / "train" / "index.pkl", train_docs=docs, train_splits=used))
        results["build_seconds_with_train"] = round(time.perf_counter() - started, 1)
        vocab_only = Normaliser(build_index(Path(tmp) / "vocab" / "index.pkl"))
        results["train_splits"] = used
        results["ceiling"] = {name: _ceiling(with_train, corpora[name], types) for name, types in DEV.items()}

        for i in range(1, len(STEPS) + 1):
            label = STEPS[0] if i == 1 else f"+{STEPS[i - 1]}"
            normaliser = Normaliser(with_train.index, steps=STEPS[:i])
            results["ablation"][label] = {
                name: _row(evaluate(normaliser, corpora[name], types)) for name, types in DEV.items()
            }
            print(label, json.dumps(results["ablation"][label]), flush=True)
        lenient = Normaliser(with_train.index, threshold=NAME_FUZZY_THRESHOLD)
        results["ablation"][f"all steps, fuzzy answers from {NAME_FUZZY_THRESHOLD} (before)"] = {
            name: _row(evaluate(lenient, corpora[name], types)) for name, types in DEV.items()
        }
        print("fuzzy from", NAME_FUZZY_THRESHOLD, json.dumps(results["ablation"][f"all steps, fuzzy answers from {NAME_FUZZY_THRESHOLD} (before)"]))
        results["ablation"]["all steps, vocabularies only (no train names)"] = {
            name: _row(evaluate(vocab_only, corpora[name], types)) for name, types in DEV.items()
        }
        print("no train names", json.dumps(results["ablation"]["all steps, vocabularies only (no train names)"]))
        results["ablation"]["all steps, gold ids as written (--strict-ids)"] = {
            name: _row(evaluate(with_train, corpora[name], types, strict_ids=True)) for name, types in DEV.items()
        }
        print("strict ids", json.dumps(results["ablation"]["all steps, gold ids as written (--strict-ids)"]))
        results["retired_ids"] = {name: len(retired_ids(with_train, corpora[name])) for name in DEV}
    final = results["ablation"][f"+{STEPS[-1]}"]
    results["final"] = final
    results["targets"] = TARGETS
    results["met"] = {name: {k: final[name].get(k, 0) >= v for k, v in goals.items()} for name, goals in TARGETS.items()}
    results["fuzzy_threshold"] = with_train.threshold
    print(json.dumps({"final": final, "ceiling": results["ceiling"], "met": results["met"]}, indent=2))
    out = REPO / "bench" / "results" / "normalise_accuracy.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
