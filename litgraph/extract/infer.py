"""Inference: NER → normalisation → relations over a stream of documents."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import torch

from litgraph.extract.ner import NerTagger
from litgraph.extract.relations import RelationExtractor
from litgraph.extract.store import resolve_model_dirs
from litgraph.extract.train import compute_dtype, device, set_threads
from litgraph.records import Document
from litgraph.settings import Settings


class Extractor:
    """Annotates documents: mentions (NER), their concept ids (normaliser), relations between concepts."""

    def __init__(self, ner: NerTagger, relations: RelationExtractor | None, normaliser):
        self.ner, self.relations, self.normaliser = ner, relations, normaliser

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        model_dirs: Sequence[Path | str] | Mapping[str, Path | str] | None = None,
        *,
        int8: bool = False,
        precision: str | None = None,
    ) -> "Extractor":
        """Load the given (or default) models and the normaliser.

        ``precision``: ``auto`` (bf16 where the hardware computes it), ``fp32`` or ``bf16``
        [default: ``settings.precision``]; ``int8``: dynamic int8 quantisation on CPU (runs in fp32).
        The models use ``settings.threads`` CPU threads (all cores when unset).
        """
        set_threads(settings)
        dirs = resolve_model_dirs(settings, model_dirs)
        ner = NerTagger.load(dirs["ner"], settings)
        relations = RelationExtractor.load(dirs["re"])
        dtype = compute_dtype(device(), precision or settings.precision)
        quantised = int8 and not torch.cuda.is_available()
        for model in (ner, relations):
            if quantised:
                quantise(model.model)
            model.dtype = None if quantised else dtype
        from litgraph.extract.lexicon import Lexicon
        from litgraph.normalise import Normaliser

        normaliser = Normaliser.load(settings)
        if ner.uses_lexicon:
            ner.lexicon = Lexicon(normaliser.index.lexicon)  # dictionary features share the normaliser's index
        relations.narrower = normaliser.narrower  # so does the MeSH hierarchy of the most specific relations
        return cls(ner, relations, normaliser)

    @property
    def model_versions(self) -> list[str]:
        """Version strings of the models in use (recorded on every mention and relation)."""
        return [self.ner.version] + ([self.relations.version] if self.relations else [])

    def annotate(self, docs: Iterable[Document], batch_size: int = 16,
                 stage_seconds: dict[str, float] | None = None) -> Iterator[Document]:
        """Yield each document with predicted ``mentions`` (normalised) and ``relations``; streams in batches.

        ``stage_seconds``: when given, the wall seconds of each stage (``ner``, ``normalise``, ``relations``) are added to it.
        """
        clock = stage_seconds if stage_seconds is not None else {}
        iterator = iter(docs)
        while batch := list(itertools.islice(iterator, batch_size)):
            t0 = time.perf_counter()
            found = self.ner.predict(batch, batch_size)
            t1 = time.perf_counter()
            for doc, mentions in zip(batch, found):
                doc.mentions = mentions
                doc.relations = []
                self.normaliser.normalise(doc)
            t2 = time.perf_counter()
            if self.relations is not None:
                for doc, relations in zip(batch, self.relations.predict(batch, batch_size)):
                    doc.relations = relations
            for stage, seconds in (("ner", t1 - t0), ("normalise", t2 - t1), ("relations", time.perf_counter() - t2)):
                clock[stage] = clock.get(stage, 0.0) + seconds
            yield from batch


def quantise(model: torch.nn.Module) -> None:
    """Dynamic int8 quantisation of the Linear layers, in place (CPU inference only)."""
    from torch.ao.quantization import quantize_dynamic

    quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
