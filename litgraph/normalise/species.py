"""Which species a text is about, to choose among genes of several species that share a name."""

from __future__ import annotations

import re

#: Species codes stored per gene concept in the index ("" = unknown).
SPECIES = ("", "human", "mouse", "rat")
#: NCBI Taxonomy ids of the species whose genes an NCBI gene_info table adds (human genes come from HGNC).
TAXA = {"10090": "mouse", "10116": "rat"}

_PATTERNS = {
    "mouse": re.compile(r"\b(?:mice|mouse|murine)\b", re.IGNORECASE),
    "rat": re.compile(r"\brats?\b", re.IGNORECASE),
    "human": re.compile(r"\b(?:humans?|patients?|men|women|children|participants|subjects|individuals)\b",
                        re.IGNORECASE),
}


def species_of(text: str) -> str:
    """ "mouse" or "rat" when a text speaks of that rodent more than of people (and of the other rodent), else "human"."""
    counts = {name: len(pattern.findall(text)) for name, pattern in _PATTERNS.items()}
    rodent = max(("mouse", "rat"), key=lambda name: counts[name])
    return rodent if counts[rodent] > counts["human"] else "human"
