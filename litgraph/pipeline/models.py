"""The models of a run, shared by the engines: which folders and versions, loaded once, only when needed."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Sequence

from litgraph.pipeline.ledger import models_key
from litgraph.pipeline.loader import InputAnnotations
from litgraph.settings import Settings

__all__ = ["Models", "model_versions"]


def model_versions(settings: Settings, model_dirs=None) -> tuple[dict[str, Path], list[str]]:
    """The NER and relation model folders and their versions, read from the folders' metadata
    (so that a run with nothing to extract, a rerun or a no-op refresh, does not import torch)."""
    from litgraph.extract.store import read_model_meta, resolve_model_dirs

    dirs = resolve_model_dirs(settings, model_dirs)
    return dirs, models_key([read_model_meta(folder, kind).version for kind, folder in dirs.items()])


class Models:
    """The annotator of a run (the default or given models, or the input's own annotations), loaded once."""

    def __init__(self, settings: Settings, model_dirs: Sequence[str | Path] | dict | None = None, *,
                 annotated: bool = False, int8: bool = False):
        self.settings, self.annotated, self.int8 = settings, annotated, int8
        self.model_dirs, self.versions = None, models_key(InputAnnotations().model_versions)
        if not annotated:
            self.model_dirs, self.versions = model_versions(settings, model_dirs)

    @functools.cached_property
    def annotator(self):
        if self.annotated:
            return InputAnnotations()
        from litgraph.extract import Extractor

        return Extractor.from_settings(self.settings, model_dirs=self.model_dirs, int8=self.int8)

    @functools.cached_property
    def normaliser(self):
        annotator = self.__dict__.get("annotator")
        if getattr(annotator, "normaliser", None) is not None:
            return annotator.normaliser
        from litgraph.normalise import Normaliser

        return Normaliser.load(self.settings)

    def concept(self, curie: str):
        """Names and xrefs of a graph node (the store calls this for new entity nodes)."""
        return self.normaliser.concept(curie)
