"""Short forms defined in a text, each with the long forms to try (best first).

scispaCy's ``AbbreviationDetector`` (via ``litgraph.text.abbreviations``) finds most definitions.
Two gaps are filled here: definitions it skips because of what follows the short form
("methamphetamine (MA)-induced", "phenobarbital (PB: 15 mg"), and long forms it cuts short
("combined oral contraceptives (COCs)" detected as "contraceptives"), which are extended to the
left to one word per capital letter of the short form.
"""

from __future__ import annotations

import re

_DEFINITION = re.compile(r"\(\s*([A-Za-z0-9][\w.+-]{0,9}?)\s*(?=[):;,]|\)-)")
_WORD = re.compile(r"[\w'+-]+")


def _capitals(short: str) -> int:
    return sum(1 for ch in short if ch.isupper() or ch.isdigit())


def _words_before(text: str, end: int, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` words ending before ``end`` in the same clause, as (start, word), left to right."""
    clause_start = max(text.rfind(ch, 0, end) for ch in ".;:()[]") + 1
    words = [(m.start(), m.group()) for m in _WORD.finditer(text, clause_start, end)]
    return words[-limit:]


def _extended(text: str, short: str, long: str, long_start: int) -> list[str]:
    """The long form and, when it has fewer words than the short form has capitals, longer ones
    that start with the short form's first letter."""
    wanted = _capitals(short)
    have = len(long.split())
    if have >= wanted:
        return [long]
    letters = [ch.lower() for ch in short if ch.isalnum()]
    before = _words_before(text, long_start, wanted - have)
    longer = [text[start:long_start] + long for start, word in before if word[0].lower() == letters[0]]
    return [c for c in longer if _letters_in_order(letters, c.lower())] + [long]


def _shortest_long_form(text: str, short: str, paren: int) -> tuple[str, int] | None:
    """Schwartz & Hearst: the shortest run of preceding words that starts with the short form's first
    letter and contains its letters in order."""
    letters = [ch.lower() for ch in short if ch.isalnum()]
    if not letters or not short[0].isalnum():
        return None
    words = _words_before(text, paren, min(len(letters) + 5, 2 * len(letters)))
    for i in range(len(words) - 1, -1, -1):
        start, word = words[i]
        if word[0].lower() != letters[0]:
            continue
        candidate = text[start:paren].rstrip()
        if _letters_in_order(letters, candidate.lower()) and len(candidate) > len(short):
            return candidate, start
    return None


def _letters_in_order(letters: list[str], long: str) -> bool:
    position = 0
    for ch in letters:
        position = long.find(ch, position)
        if position < 0:
            return False
        position += 1
    return True


def abbreviation_map(text: str) -> dict[str, list[str]]:
    """``{short form: [long forms to try, best first]}`` for the definitions in ``text``."""
    from litgraph.text import abbreviations

    found: dict[str, list[str]] = {}
    for a in abbreviations(text):
        if a.short not in found:
            found[a.short] = _extended(text, a.short, a.long, a.long_start)
    for match in _DEFINITION.finditer(text):
        short = match.group(1)
        if short in found or not any(ch.isupper() for ch in short):
            continue
        definition = _shortest_long_form(text, short, match.start())
        if definition:
            found[short] = [definition[0]]
    return found
