"""What BioRED's end-to-end relation F1 would be with better ids: the shipped pipeline's mentions on BioRED dev, then
the same mentions with gold ids given to some of them, each scored by the same relation model.

    python bench/models_biored_ceiling.py [--models DIR]

Rows (pair and pair+type F1, all 100 dev documents):
- ``pipeline``: the mentions as the pipeline finds and normalises them;
- ``+ genes outside the vocabularies``: a predicted Gene mention that overlaps a gold Gene mention whose id is in
  no offline vocabulary (mouse, rat and other non-human NCBI Gene ids, which need NCBI's gene_info table) takes that
  gold id: what a full NCBI Gene table could give at best;
- ``+ all genes``, ``+ genes and variants``, ``+ every type``: the same for every Gene mention, then Variant
  mentions (dbSNP lookups), then every type: the rest of normalisation's share of the loss.
Mentions keep their predicted spans and types, so NER's misses stay misses. Writes
bench/results/models_biored_ceiling.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
from pathlib import Path

from models_most_specific import predicted_documents

from litgraph.extract import default_model_dirs
from litgraph.extract.corpus import load
from litgraph.extract.evaluate import _current
from litgraph.extract.infer import Extractor
from litgraph.extract.metrics import RelationScorer
from litgraph.normalise.evaluate import retired_ids
from litgraph.settings import Settings

RESULTS = Path(__file__).parent / "results"


def with_gold_ids(predicted, gold, replace) -> tuple[list, int]:
    """Copies of the predicted documents where each mention overlapping a gold mention of its type that
    ``replace(gold_mention)`` selects takes that mention's ids; returns them and how many mentions changed."""
    out, changed = copy.deepcopy(predicted), 0
    for doc, reference in zip(out, gold):
        for mention in doc.mentions:
            match = next((g for g in reference.mentions if g.type == mention.type and g.ids and replace(g)
                          and mention.start < g.end and g.start < mention.end), None)
            if match is not None and set(match.ids) != set(mention.ids):
                mention.ids, changed = list(match.ids), changed + 1
    return out, changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="models folder (default: LITGRAPH_MODELS, else the shipped models)")
    args = parser.parse_args()
    settings = Settings.from_env(models=args.models)
    extractor = Extractor.from_settings(settings, default_model_dirs(settings))
    relations, normaliser = extractor.relations, extractor.normaliser
    corpus = load("biored:dev", settings)
    gold = corpus.documents
    retired = retired_ids(normaliser, gold)
    predicted = predicted_documents(extractor, gold)

    def outside(mention) -> bool:
        return mention.type == "Gene" and all(normaliser.concept(i) is None for i in mention.ids)

    variants = {
        "pipeline": (lambda m: False),
        "+ genes outside the vocabularies": outside,
        "+ all genes": lambda m: m.type == "Gene",
        "+ genes and variants": lambda m: m.type in ("Gene", "Variant"),
        "+ every type": lambda m: True,
    }
    out: dict = {"machine": f"{os.cpu_count()}-core {platform.machine()} CPU", "models": extractor.model_versions,
                 "documents": len(gold), "gold_relations": sum(len(d.relations) for d in gold), "rows": {}}
    for name, replace in variants.items():
        docs, changed = with_gold_ids(predicted, gold, replace)
        decided = relations.predict(docs)
        scorer = RelationScorer(corpus.relation_types, novelty=True)
        for reference, found in zip(gold, decided):
            scorer.add(_current(reference.relations, retired), _current(found, retired))
        result = scorer.result()
        pair = result["levels"]["pair"]
        row = out["rows"][name] = {"mentions_given_gold_ids": changed, "pair": round(pair["f1"], 4),
                                   "pair_precision": round(pair["precision"], 4), "pair_recall": round(pair["recall"], 4),
                                   "pair+type": round(result["micro"]["f1"], 4)}
        print(f"{name}: {row}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models_biored_ceiling.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
