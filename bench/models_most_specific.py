"""The most specific relations: relation F1 on the dev splits with and without ``relations.most_specific`` for the
relation model in use (of two relations of one type and subject, the one whose object is a broader MeSH concept is
dropped when the narrower one scores at least as high), with gold entities and end to end, on all
documents and on each half (even and odd positions: the rule has no parameter, so both halves show whether its gain
is the split's noise).

    python bench/models_most_specific.py [--models DIR] [--ship]

Each corpus is encoded once; both decisions are taken from the same scores. --ship sets the rule on the groups of
the corpora whose guideline asks for it (``CorpusSpec.most_specific``: BC5CDR) in the shipped relation model
(litgraph/extract/shipped/re; a new version, its card with the dev scores of the packed form). Writes
bench/results/models_most_specific.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from litgraph.extract import compact, default_model_dirs
from litgraph.extract.corpus import load
from litgraph.extract.evaluate import _current
from litgraph.extract.infer import Extractor
from litgraph.extract.metrics import RelationScorer
from litgraph.extract.relations import prepare
from litgraph.extract.store import SHIPPED, read_meta
from litgraph.normalise.evaluate import retired_ids
from litgraph.records import Document
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"
DEV = ("bc5cdr:dev", "biored:dev")


def predicted_documents(extractor: Extractor, gold: list[Document]) -> list[Document]:
    """The gold documents' text with the mentions the pipeline finds and normalises (``annotate`` without relations)."""
    mentions_only = Extractor(extractor.ner, None, extractor.normaliser)
    return list(mentions_only.annotate((Document(d.pmid, d.title, d.abstract) for d in gold), 32))


def f1(result: dict, level: str) -> float:
    return round((result["levels"][level] if level != "micro" else result["micro"])["f1"], 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="models folder (default: LITGRAPH_MODELS, else the shipped models)")
    parser.add_argument("--ship", action="store_true", help="set the rule on the BC5CDR group of the shipped relation model")
    args = parser.parse_args()
    settings = Settings.from_env(models=args.models)
    dirs = dict(default_model_dirs(settings), **({"re": SHIPPED / "re"} if args.ship else {}))
    extractor = Extractor.from_settings(settings, dirs)
    relations = extractor.relations
    groups = relations.meta["groups"]
    out: dict = {"machine": f"{os.cpu_count()}-core {platform.machine()} CPU", "models": extractor.model_versions, "corpora": {}}
    packed_scores: dict[str, dict[str, float]] = {}
    ruled: list[str] = []  # the groups whose corpus asks for the rule
    for name in DEV:
        gold = load(name, settings)
        group = name.split(":")[0]
        if gold.most_specific:
            ruled.append(group)
        retired = retired_ids(extractor.normaliser, gold.documents)
        novelty = groups[group]["novelty"]
        levels = ("micro", "pair") if novelty else ("micro",)
        rows = out["corpora"][name] = {}
        for setting, docs in (("gold entities", gold.documents), ("end to end", predicted_documents(extractor, gold.documents))):
            prepared = [prepare(d, relations.tokenizer) for d in docs]
            scored = relations.scores(prepared)
            for rule in (False, True):
                groups[group]["most_specific"] = rule
                decided = [relations.decide(p, s) for p, s in zip(prepared, scored)]
                row = {}
                for part, positions in (("all", range(len(docs))), ("even", range(0, len(docs), 2)), ("odd", range(1, len(docs), 2))):
                    scorer = RelationScorer(gold.relation_types, novelty=novelty)
                    for k in positions:
                        scorer.add(_current(gold.documents[k].relations, retired), _current(decided[k], retired))
                    result = scorer.result()
                    row[part] = {level: f1(result, level) for level in levels}
                key = f"{setting}, {'most specific' if rule else 'all'}"
                rows[key] = row
                print(f"{name} {key}: " + "  ".join(f"{part} {row[part]}" for part in row))
            groups[group].pop("most_specific", None)
            chosen = rows[f"{setting}, {'most specific' if gold.most_specific else 'all'}"]["all"]
            packed_scores.setdefault(name, {})[setting] = chosen["micro"]
            if novelty:
                packed_scores[name][f"{setting} pair"] = chosen["pair"]
    if args.ship:
        meta = read_meta(SHIPPED / "re", "re")
        for group in ruled:
            meta["groups"][group]["most_specific"] = True
        meta["packed_dev_scores"] = packed_scores
        out["shipped"] = {"re": compact.restamp(SHIPPED / "re", meta)}
        print(f"shipped: {out['shipped']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models_most_specific.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
