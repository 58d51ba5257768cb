"""Relation evaluation with gold entities or end to end (NER → normalisation → relations)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Mapping, Sequence

from litgraph.errors import InputError
from litgraph.extract.corpus import CorpusDocs
from litgraph.extract.infer import Extractor, resolve_model_dirs
from litgraph.extract.metrics import RelationScorer
from litgraph.extract.relations import RelationExtractor
from litgraph.normalise import Normaliser
from litgraph.normalise.evaluate import retired_ids
from litgraph.records import Document, Relation
from litgraph.settings import Settings


def evaluate_relations(
    settings: Settings,
    gold: CorpusDocs,
    model_dirs: Sequence[Path | str] | Mapping[str, Path | str] | None = None,
    *,
    gold_entities: bool = False,
    batch_size: int = 16,
    strict_ids: bool = False,
) -> dict:
    """Document-level relation scores of the models on a gold corpus (only the relation types it annotates).

    Gold ids retired from the normaliser's vocabulary since the corpus was annotated count as the
    concept that now carries their name (``retired_ids`` in the result; see
    ``litgraph.normalise.evaluate.retired_ids``), on both sides, unless ``strict_ids``.
    """
    if not gold.relation_types:
        raise InputError(f"{gold.name} annotates no relations; evaluate on bc5cdr:dev or biored:dev", path=str(gold.path))
    dirs = resolve_model_dirs(settings, model_dirs)
    novelty = any(r.novel is not None for d in gold.documents for r in d.relations)
    scorer = RelationScorer(gold.relation_types, novelty=novelty)
    if gold_entities:
        relations = RelationExtractor.load(dirs["re"], settings)
        normaliser = None if strict_ids else Normaliser.load(settings)
        if normaliser is not None:  # its MeSH hierarchy serves the most specific relations (else loaded when needed)
            relations.narrower = normaliser.narrower
        versions = [relations.version]
        predicted = relations.predict(gold.documents, batch_size)
    else:
        extractor = Extractor.from_settings(settings, dirs)
        versions = extractor.model_versions
        bare = (Document(d.pmid, d.title, d.abstract) for d in gold.documents)
        predicted = [d.relations for d in extractor.annotate(bare, batch_size)]
        normaliser = extractor.normaliser
    retired = {} if strict_ids else retired_ids(normaliser, gold.documents)
    for doc, relations in zip(gold.documents, predicted):
        scorer.add(_current(doc.relations, retired), _current(relations, retired))
    return dict(scorer.result(), models=versions, gold_entities=gold_entities, retired_ids=retired)


def _current(relations: list[Relation], retired: dict[str, str]) -> list[Relation]:
    """The relations with retired ids replaced by their current ones."""
    if not retired:
        return relations
    return [replace(r, subject=retired.get(r.subject, r.subject), object=retired.get(r.object, r.object)) for r in relations]
