"""Dictionary features for NER: the ontology names (MeSH, HGNC, ChEBI, MONDO, …) matched over a text.

A greedy longest match over the tokenizer's words finds spans whose folded form is a vocabulary
name (the normalisation index's ``lexicon``: names from the vocabularies only, never from the
training corpora, so a match means the same on training and unseen text). Each subword gets a tag
that says whether it starts or continues a match and which entity types the name has; the tagger
adds a learned embedding of the tag to its input (the token-type embedding table, widened).
"""

from __future__ import annotations

from typing import Mapping

from litgraph.extract.data import word_spans
from litgraph.normalise.index import TYPE_BIT
from litgraph.normalise.strings import STOPWORDS, key

#: Words a match may span.
MAX_WORDS = 10
#: Type bit of gene names: a gene match must look like a symbol as written (a capital after the first letter, or a digit).
GENE = 4
#: Names this short (in characters) match only when written like that too ("ALL", not "all" or "All").
SHORT = 4
#: Type bits of a name (as in the index): Chemical 1, Disease 2, Gene 4; combinations up to 7.
TYPE_MASKS = 8
#: Tag ids: 0 no match, ``m`` the first word of a match with type bits ``m``, ``TYPE_MASKS - 1 + m`` a later word.
TAGS = 2 * TYPE_MASKS


class Lexicon:
    """Folded vocabulary names with their type bits, and the longest-match tagger over them."""

    def __init__(self, names: Mapping[str, int]):
        self.names = names
        self.first_words = {name.split(" ", 1)[0] for name in names if name not in STOPWORDS}

    @classmethod
    def load(cls, settings) -> "Lexicon":
        """The lexicon of the normalisation index of ``settings`` (built first when missing or outdated)."""
        from litgraph.normalise import Normaliser

        return cls(Normaliser.load(settings).index.lexicon)

    def _mask(self, folded: str, surface: str) -> int:
        """Type bits of a span (0: no vocabulary name, or a common word that only looks like one).

        ``folded``: the span's key; ``surface``: the span as written.
        """
        mask = self.names.get(folded, 0)
        if not mask or folded in STOPWORDS:
            return 0
        if (mask == GENE or len(folded) <= SHORT) and not any(ch.isupper() or ch.isdigit() for ch in surface[1:]):
            return 0
        return mask

    def is_name(self, words: str, entity_type: str) -> bool:
        """Whether ``words`` (as written) are a vocabulary name of ``entity_type`` (Chemical, Disease or Gene; other
        types have no names here)."""
        return bool(self._mask(key(words), words) & TYPE_BIT.get(entity_type, 0))

    def word_tags(self, text: str, spans: list[tuple[int, int]]) -> list[int]:
        """One tag per word (``spans``: character start and end of each word, in order).

        Each word is folded once; a span's key is its words' keys joined (punctuation folds to nothing).
        """
        folded = [key(text[s:e]) for s, e in spans]
        tags = [0] * len(spans)
        i = 0
        while i < len(spans):
            if not folded[i] or folded[i].split(" ", 1)[0] not in self.first_words:
                i += 1
                continue
            match = None
            for j in range(min(len(spans), i + MAX_WORDS) - 1, i - 1, -1):
                if not folded[j]:  # a match never ends on punctuation
                    continue
                mask = self._mask(" ".join(w for w in folded[i:j + 1] if w), text[spans[i][0]:spans[j][1]])
                if mask:
                    match = (j, mask)
                    break
            if match is None:
                i += 1
                continue
            j, mask = match
            tags[i] = mask
            tags[i + 1:j + 1] = [TYPE_MASKS - 1 + mask] * (j - i)
            i = j + 1
        return tags

    def token_tags(self, text: str, enc) -> list[int]:
        """One tag per subword of ``enc`` (an ``data.Encoded`` of ``text``): the tag of its word."""
        words = word_spans(enc)
        by_word = dict(zip((enc.word_ids[first] for first, _, _ in words), self.word_tags(text, [(s, e) for _, s, e in words])))
        return [by_word.get(w, 0) for w in enc.word_ids]
