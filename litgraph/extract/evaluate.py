"""Relation evaluation with gold entities or end to end (NER → normalisation → relations)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from litgraph.errors import InputError
from litgraph.extract.corpus import CorpusDocs
from litgraph.extract.infer import Extractor, resolve_model_dirs
from litgraph.extract.metrics import RelationScorer
from litgraph.extract.relations import RelationExtractor
from litgraph.records import Document
from litgraph.settings import Settings


def evaluate_relations(
    settings: Settings,
    gold: CorpusDocs,
    model_dirs: Sequence[Path | str] | Mapping[str, Path | str] | None = None,
    *,
    gold_entities: bool = False,
    batch_size: int = 16,
) -> dict:
    """Document-level relation scores of the models on a gold corpus (only the relation types it annotates)."""
    if not gold.relation_types:
        raise InputError(f"{gold.name} annotates no relations; evaluate on bc5cdr:dev or biored:dev", path=str(gold.path))
    dirs = resolve_model_dirs(settings, model_dirs)
    novelty = any(r.novel is not None for d in gold.documents for r in d.relations)
    scorer = RelationScorer(gold.relation_types, novelty=novelty)
    if gold_entities:
        relations = RelationExtractor.load(dirs["re"])
        versions = [relations.version]
        predicted = relations.predict(gold.documents, batch_size)
    else:
        extractor = Extractor.from_settings(settings, dirs)
        versions = extractor.model_versions
        bare = (Document(d.pmid, d.title, d.abstract) for d in gold.documents)
        predicted = [d.relations for d in extractor.annotate(bare, batch_size)]
    for doc, relations in zip(gold.documents, predicted):
        scorer.add(doc.relations, relations)
    return dict(scorer.result(), models=versions, gold_entities=gold_entities)
