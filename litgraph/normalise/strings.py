"""Name keys: the string forms under which names are indexed and looked up.

``key`` folds case, punctuation, hyphens, Greek letters, British spellings, thousands separators,
letter/digit boundaries and plurals, so that "Non-steroidal anti-inflammatory drugs", "nonsteroidal
antiinflammatory drug" and "NON STEROIDAL ANTI INFLAMMATORY DRUGS" meet. ``bag`` also ignores
word order and a few function words ("cancer of the breast" = "breast cancer" = "Cancer, Breast").
``grams`` gives the character trigrams that the fuzzy step compares.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi",
    "ο": "omicron", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon",
    "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}
_GREEK_RE = re.compile("|".join(GREEK))

# British -> American spellings, applied to whole lower-cased text (longest first).
SPELLING = (
    ("oesophag", "esophag"), ("oestr", "estr"), ("oedem", "edem"), ("diarrhoea", "diarrhea"),
    ("haemorrh", "hemorrh"), ("anaesth", "anesth"), ("leukaem", "leukem"), ("ischaem", "ischem"),
    ("aemia", "emia"), ("haem", "hem"), ("paed", "ped"), ("foet", "fet"), ("tumour", "tumor"),
    ("colour", "color"), ("behaviour", "behavior"), ("sulph", "sulf"), ("isation", "ization"),
    ("coeliac", "celiac"), ("caesar", "cesar"), ("orthopaed", "orthoped"),
    ("aetiolog", "etiolog"), ("gynaec", "gynec"), ("dyslipidaem", "dyslipidem"), ("leuco", "leuko"),
)
_SPELLING_RE = re.compile("|".join(re.escape(a) for a, _ in SPELLING))
_SPELLING = dict(SPELLING)

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # "SR 48,968" is "SR 48968"; "1,2-diol" keeps its comma
_NON_WORD = re.compile(r"[^0-9a-z]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_KEEP_S = ("ss", "us", "is", "os", "ys", "as")
STOPWORDS = frozenset({"of", "the", "in", "on", "to", "by", "for", "a", "an", "nos"})


def _singular(token: str) -> str:
    if len(token) <= 3 or token.isdigit():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith(_KEEP_S):
        return token[:-1]
    return token


@lru_cache(maxsize=200_000)
def key(text: str) -> str:
    """The folded form of a name; empty when nothing word-like is left."""
    text = unicodedata.normalize("NFKC", text)
    text = _GREEK_RE.sub(lambda m: f" {GREEK[m.group()]} ", text).lower()
    text = _SPELLING_RE.sub(lambda m: _SPELLING[m.group()], text + " ")
    text = _THOUSANDS.sub("", text)
    text = _NON_WORD.sub(" ", text)
    text = _LETTER_DIGIT.sub(" ", text)
    return " ".join(_singular(t) for t in text.split())


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
          "x": "10", "xi": "11", "xii": "12", "xiii": "13"}


def numerals(folded: str) -> frozenset[str]:
    """The numbers of a folded name, Roman ones as Arabic: what tells MMP1 from MMP2, or type 1 from type 2
    diabetes."""
    return frozenset(_ROMAN.get(t, t) for t in folded.split() if t.isdigit() or t in _ROMAN)


def numbers_agree(query: frozenset[str], name: frozenset[str]) -> bool:
    """Whether a name with the numbers ``name`` may be the concept of a query with the numbers ``query``: the same
    numbers, or a query without any (a general name such as "Schwartz-Jampel syndrome" may stand for its numbered
    type; a numbered query, "MMP-2", is not its family, "matrix metalloproteinases")."""
    return not query or query == name


def bag(folded: str) -> str:
    """Order-free form of a folded name: sorted words without function words."""
    words = [w for w in folded.split() if w not in STOPWORDS]
    return " ".join(sorted(words))


def grams(folded: str) -> set[str]:
    """Distinct character trigrams of a folded name, padded with a space at each end."""
    padded = f" {folded} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


# Word endings of adjectives and the noun endings to try instead (disease names).
SUFFIXES = (
    ("ptic", "psy"), ("etic", "esia"), ("otic", "osis"), ("tic", "sis"), ("emic", "emia"), ("ic", "ia"),
    ("ic", "y"), ("ic", "ism"), ("ian", "ism"), ("ian", " disease"), ("ic", "es"), ("atic", "a"),
    ("oid", "osis"), ("al", ""), ("al", "e"), ("ed", ""), ("ive", "ion"),
)
# Organ adjectives and their nouns, as in MeSH headings ("renal injury" -> "kidney injury").
ORGANS = {
    "renal": "kidney", "nephritic": "kidney", "hepatic": "liver", "cardiac": "heart", "pulmonary": "lung",
    "cerebral": "brain", "gastric": "stomach", "ocular": "eye", "cutaneous": "skin", "dermal": "skin",
    "vesical": "bladder", "myocardial": "heart", "intestinal": "intestine", "neural": "nerve",
    "neuronal": "neuron", "visual": "vision", "auditory": "hearing",
}


# Head nouns that name the same kind of disease in MeSH headings ("prostate carcinoma" -> "prostate cancer").
HEADS = (("cancer", "carcinoma", "neoplasm", "tumor", "tumour", "malignancy"), ("disease", "disorder"),
         ("injury", "damage", "toxicity"))


# Head nouns that add nothing to the disease before them ("syncopal attacks" -> "syncopal" -> "syncope").
GENERIC_HEADS = frozenset({"attack", "episode", "symptom", "sign", "event", "complication", "manifestation",
                           "feature", "change", "finding"})


_HYPHEN_IN_WORD = re.compile(r"(?<=[a-z])-(?=[a-z])")


def joined_hyphens(text: str) -> list[str]:
    """The text with hyphens inside words removed, when it has any: "thrombo-embolism" -> "thromboembolism"."""
    joined = _HYPHEN_IN_WORD.sub("", text)
    return [joined] if joined != text else []


def morphological_variants(text: str, entity_type: str) -> list[str]:
    """Noun forms of a disease mention's words: "dyskinetic" -> "dyskinesia", "renal injury" -> "kidney injury"."""
    if entity_type != "Disease":
        return []
    words = text.lower().split()
    if not words:
        return []
    variants = []
    if any(w in ORGANS for w in words):
        variants.append(" ".join(ORGANS.get(w, w) for w in words))
    singular = words[-1][:-1] if words[-1].endswith("s") else words[-1]
    for group in HEADS:
        if singular in group:
            variants += [" ".join(words[:-1] + [other]) for other in group if other != singular]
    if singular in GENERIC_HEADS and len(words) > 1:
        words = words[:-1]
        variants.append(" ".join(words))
    last = words[-1]
    for ending, replacement in SUFFIXES:
        if last.endswith(ending) and len(last) > len(ending) + 3:
            variants.append(" ".join(words[:-1] + [last[: -len(ending)] + replacement]))
    return variants
