"""Repairs of decoded NER output: clean mention edges, an abbreviation takes the entity type of its long form, and
coordinated names that share their last word are one mention.

A mention never starts with punctuation, nor ends with punctuation or a function word
("deficiency of APRT in", "breast,"): ``trim`` cuts such edges off a decoded span.

Authors define an abbreviation once ("contrast-induced nephropathy (CIN)") and use the short form
afterwards; a token classifier sees each occurrence on its own and often types "CIN" as a chemical,
or misses it. With the definitions found in the text (scispaCy's abbreviation detector), every
occurrence of a short form becomes a mention of its long form's type when the long form is a
mention, and is no mention when the long form is recognised as text but not as an entity. A longer
mention around a short form ("G6PD deficiency") is left as it is; so is a short form whose long form the
vocabulary knows only as another type than the longer mention it lies in ("ASPA" from "deficiency of
aspartoacylase (ASPA)": an enzyme, not a disease).

All three corpora annotate coordinated disease names that share their last word as one mention
("C6 and C7 deficiencies", "brain, breast, and prostate cancer"; 51 of NCBI-disease's 787 dev
mentions have a coordinator inside). The tagger often splits them ("C6" | "C7 deficiencies"):
``join_coordinated`` joins the parts again when the first is no disease name by itself but is one
with the shared last word, as the vocabulary (the NER lexicon) says.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from litgraph.normalise.index import TYPES
from litgraph.records import Mention
from litgraph.text import Abbreviation, abbreviations


_LEADING = re.compile(r"^[\s,;:)/\-]+")
_TRAILING = re.compile(r"(?:[\s,;:(/\-]|\b(?:in|of|and|or|with|the|to|for|by)\b)+$")


def trim(mentions: list[Mention]) -> list[Mention]:
    """``mentions`` without leading punctuation and trailing punctuation or function words; a mention
    that is nothing else is dropped (dev F1 of the shipped tagger: BC5CDR +0.26, NCBI-disease +0.46, BioRED +0.37)."""
    out = []
    for m in mentions:
        lead = _LEADING.match(m.text)
        lo = lead.end() if lead else 0
        tail = _TRAILING.search(m.text, lo)
        hi = tail.start() if tail else len(m.text)
        if hi <= lo:
            continue
        out.append(m if (lo, hi) == (0, len(m.text)) else replace(m, start=m.start + lo, end=m.start + hi, text=m.text[lo:hi]))
    return out


_PREPOSITION = re.compile(r"\b(?:in|of|with|for|by|from|to|on|at)\b", re.IGNORECASE)
#: The cause before a disease in a long form: "levodopa-induced " in "levodopa-induced dyskinesia (LID)".
_CAUSE = re.compile(r"[\w,'()-]+(?:[- ]\w+)*[- ](?:induced|associated|related)\s+", re.IGNORECASE)


#: ``_long_form_mention``'s answer for a long form inside a mention of another type: leave the short forms alone.
_OTHER_TYPE = object()


def _long_form_mention(text: str, mentions: list[Mention], a: Abbreviation,
                       is_name: Callable[[str, str], bool] | None = None):
    """The mention that is the long form: the same span, one ending with it and covering most of it or all but its
    cause ("dyskinesia" in "levodopa-induced dyskinesia (LID)"; but not the object of a preposition: "colorectal
    cancer" in "deleted in colorectal cancer (DCC)" is not DCC), or
    else one containing it ("von Hippel-Lindau (VHL) disease"); ``_OTHER_TYPE`` when a mention longer than the
    long form has a type the long form is not, as the vocabulary (``is_name``) says: "aspartoacylase (ASPA)" in
    the disease "deficiency of aspartoacylase" is an enzyme, so ASPA stays as the tagger typed it."""
    best = None
    for m in mentions:
        if m.start > a.long_start and _PREPOSITION.search(text, a.long_start, m.start):
            continue
        if m.end == a.long_end and (m.start <= a.long_start + (a.long_end - a.long_start) // 2
                                    or _CAUSE.fullmatch(text, a.long_start, m.start)):
            if best is None or abs(m.start - a.long_start) < abs(best.start - a.long_start):
                best = m
    if best is None:
        best = next((m for m in mentions if m.start <= a.long_start and m.end >= a.long_end), None)
    if (best is not None and is_name is not None and _contains(best, a.long_start, a.long_end)
            and _named_otherwise(text[a.long_start:a.long_end], best.type, is_name)):
        return _OTHER_TYPE
    return best


def _named_otherwise(words: str, entity_type: str, is_name: Callable[[str, str], bool]) -> bool:
    """Whether ``words`` are a vocabulary name of another entity type and not of ``entity_type`` (one the
    vocabulary names)."""
    return entity_type in TYPES and not is_name(words, entity_type) and any(is_name(words, t) for t in TYPES if t != entity_type)


def _contains(m: Mention, start: int, end: int) -> bool:
    """Whether ``m`` is longer than ``start:end`` and covers it ("G6PD deficiency" around "G6PD")."""
    return m.start <= start and m.end >= end and (m.start, m.end) != (start, end)


def harmonise(text: str, mentions: list[Mention], found: tuple[Abbreviation, ...] | None = None,
              is_name: Callable[[str, str], bool] | None = None) -> list[Mention]:
    """``mentions`` with every defined short form typed as its long form (see the module doc), sorted by offset.

    ``is_name(words, type)`` (the vocabulary, optional) keeps a short form whose long form is a name of another
    type than the mention containing it as the tagger typed it (dev: NCBI-disease +0.16, BioRED +0.10)."""
    found = abbreviations(text) if found is None else found
    if not found:
        return mentions
    typed: dict[str, object] = {}
    for a in found:
        if a.short not in typed or typed[a.short] is None:
            typed[a.short] = _long_form_mention(text, mentions, a, is_name)
    found = tuple(a for a in found if typed[a.short] is not _OTHER_TYPE)
    shorts = {(a.short_start, a.short_end): a.short for a in found}
    shorts = {(s, e): short for (s, e), short in shorts.items() if not any(_contains(m, s, e) for m in mentions)}
    out = [m for m in mentions if not any(m.start < e and s < m.end for s, e in shorts)]
    for (s, e), short in shorts.items():
        source = typed[short]
        if source is not None:
            out.append(replace(source, start=s, end=e, text=text[s:e], ids=[], composite=[], id_score=None))
    return sorted(out, key=lambda m: (m.start, m.end))


#: What may stand between two coordinated parts: ", ", " and ", ", or ", " and/or ", "/", "- and ".
_COORDINATION = re.compile(r"(?:,\s*(?:and|or)?|\s+(?:and|or|and/or)|\s*/)\s*|-\s+(?:and|or)\s+")
#: A part before a mention: one word and a coordination ("brain, " before "breast, and prostate cancer").
_PART_BEFORE = re.compile(r"([A-Za-z][\w'-]*)(?:,\s*(?:and |or )?|\s+(?:and|or|and/or)\s+|/)$")
#: Types whose coordinated names are joined (measured on Disease; see docs/models.md).
COORDINATED_TYPES = ("Disease",)


def join_coordinated(text: str, mentions: list[Mention], is_name: Callable[[str, str], bool]) -> list[Mention]:
    """``mentions`` with coordinated parts that share a last word joined into one mention (see the module doc).

    ``is_name(words, type)``: whether the words are a vocabulary name of that entity type. A part joins the
    mention after it ("C6" + " and " + "C7 deficiencies") when it is no name alone but is one with that
    mention's last word ("C6 deficiencies"); a word before a mention that is such a part ("brain, ")
    joins it too. Dev F1 of the shipped tagger: NCBI-disease +0.51, BC5CDR +0.05, BioRED +0.02.
    """
    def shares_head(part: str, mention: Mention) -> bool:
        words = mention.text.split()
        return (len(words) >= 2 and not is_name(part, mention.type)
                and is_name(f"{part} {words[-1]}", mention.type))

    joined: list[Mention] = []
    for m in sorted(mentions, key=lambda m: (m.start, m.end)):
        prev = joined[-1] if joined else None
        if (prev is not None and m.type in COORDINATED_TYPES and prev.type == m.type
                and _COORDINATION.fullmatch(text, prev.end, m.start) and shares_head(prev.text, m)):
            joined[-1] = replace(prev, end=m.end, text=text[prev.start:m.end])
        else:
            joined.append(m)
    out: list[Mention] = []
    for m in joined:
        start = m.start
        while m.type in COORDINATED_TYPES:
            before = _PART_BEFORE.search(text, max(0, start - 40), start)
            if (before is None or before.end() != start or not shares_head(before.group(1), m)
                    or any(o.end > before.start() for o in out)):
                break
            start = before.start()
        out.append(m if start == m.start else replace(m, start=start, text=text[start:m.end]))
    return out
