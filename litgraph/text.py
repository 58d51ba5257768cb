"""Sentences, tokens and abbreviations with spaCy and scispaCy.

No spaCy model package is needed: a blank English pipeline with the rule-based sentencizer and
scispaCy's ``AbbreviationDetector`` (Schwartz & Hearst) does the work.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import spacy

# scispaCy's detector warns on every text that has no abbreviation pattern to match; that is normal here.
warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)


@dataclass(frozen=True)
class Abbreviation:
    """A short form in the text and the long form it stands for (character offsets, end exclusive)."""

    short_start: int
    short_end: int
    long_start: int
    long_end: int
    short: str
    long: str


@lru_cache(maxsize=1)
def nlp() -> spacy.language.Language:
    """The shared pipeline: tokenizer, sentencizer, abbreviation detector."""
    from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  (registers the factory)

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("abbreviation_detector")
    return pipeline


@lru_cache(maxsize=1)
def _sentencizer() -> spacy.language.Language:
    """Tokenizer and sentencizer only: the sentences of ``nlp()`` at half the cost (the abbreviation
    detector, which does not move sentence boundaries, is left out)."""
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    return pipeline


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` as (start, end) character offsets."""
    doc = _sentencizer()(text)
    return [(s.start_char, s.end_char) for s in doc.sents]


@lru_cache(maxsize=256)
def abbreviations(text: str) -> tuple[Abbreviation, ...]:
    """Every occurrence of a defined short form, with the long form it was defined by.

    Cached for the last texts: NER decoding and normalisation both ask for a document's abbreviations.
    """
    doc = nlp()(text)
    return tuple(
        Abbreviation(a.start_char, a.end_char, a._.long_form.start_char, a._.long_form.end_char, a.text, a._.long_form.text)
        for a in doc._.abbreviations
    )
