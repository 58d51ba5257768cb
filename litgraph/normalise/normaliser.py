"""The normaliser: mention text + entity type -> concept ids, and user names or CURIEs -> concepts.

Matching is a small pipeline; each step runs only when the ones before it found nothing:

1. ``exact``: the folded name (case, punctuation, hyphens, Greek letters, plurals, British
   spellings; see ``strings.key``), gene symbols also as written; multi-concept train names.
2. ``abbreviation``: a short form defined in the document ("NSAIDs" after "non-steroidal
   anti-inflammatory drugs (NSAIDs)") is looked up by its long form first; when neither form has
   an exact match, the long form goes through the steps below.
3. ``bag``: word order and function words ignored ("cancer of the breast").
4. ``parentheses``: parenthesised text dropped ("glucose-6-phosphate dehydrogenase (G6PD) deficiency"),
   and for diseases a stated cause ("ribavirin-induced hemolytic anemia").
5. ``morphology``: disease adjectives as nouns ("dyskinetic" -> "dyskinesia", "renal injury" ->
   "kidney injury") and head nouns of the same kind ("prostate carcinoma" -> "prostate cancer").
6. ``composite``: coordinated mentions split ("breast and ovarian cancer", "ERK1/2" -> two ids).
7. ``fuzzy``: cosine similarity of character trigrams against names of the same entity type.

8. ``species``: when genes of several species share a name, the gene of the document's species is
preferred (``species_of``: mouse or rat when the text speaks of them more than of people), then the
human gene (HGNC); non-human gene ids come from train names, tagged with their documents' species.
A Normaliser caches its answers and is not thread-safe: use one per thread or process.

Every answer has a score in [0, 1]. A fuzzy answer to a mention needs ``threshold`` (``FUZZY_THRESHOLD``), or
the answer is ``[]`` (the corpora's ``-1``); a user's name for the query commands needs ``name_threshold``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from litgraph.errors import InputError
from litgraph.normalise import strings
from litgraph.normalise.abbreviations import abbreviation_map
from litgraph.normalise.index import FILE_NAME, SEP, TYPE_BIT, TYPES, Index, OutdatedIndex, build_index
from litgraph.normalise.species import SPECIES, species_of
from litgraph.records import Concept, Document
from litgraph.settings import Settings

log = logging.getLogger(__name__)

STEPS = ("exact", "abbreviation", "bag", "parentheses", "morphology", "composite", "fuzzy", "species")
TRAIN_SPLITS = ("bc5cdr:train", "ncbi-disease:train", "biored:train")
CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[^\s:][^\s]*$")
_CONJUNCTION = re.compile(r"\s*,\s*(?:and/or|and|or)\s+|\s*,\s*|\s+(?:and/or|and|or|nor)\s+", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?P<stem>.*?[A-Za-z])(?P<sep>[- ]?)(?P<first>\d+[a-z]?)(?P<rest>(?:/-?\d+[a-z]?)+)$")
_PARENS = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
#: A variant written as its dbSNP number ("rs6275", "rs 6275"): the one variant notation that names one variant
#: without a lookup. Other notations ("R215W", "c.643C>T") name a change whose variant depends on the gene, so they
#: get no id (docs/normalise.md, "Variants").
_RS_NUMBER = re.compile(r"rs[\s-]?(\d+)", re.IGNORECASE)
_INDUCED = re.compile(r"^.*?\b(?:[\w,'-]+[- ])?(?:induced|associated|related)\s+", re.IGNORECASE)
FUZZY_COMMON = 0.005  # trigrams in more than this share of names find no candidates (they still count in scores)
FUZZY_RERANK = 50  # candidates scored on all their trigrams
FUZZY_WORD_BONUS = 0.1  # added for the share of the query's words that a candidate has as whole words
#: Least fuzzy score that gives a mention an id. Tuned on the dev splits for what the graph holds: between 0.6 and
#: 0.8 fewer than half of the fuzzy answers to gold mentions were right, and each wrong id becomes a wrong entity
#: and wrong relations (end to end, CID F1 0.464 at 0.6, 0.479 at 0.8; docs/normalise.md).
FUZZY_THRESHOLD = 0.8
#: Least fuzzy score for a user's name (``resolve``): the query commands show what a name found, best first.
NAME_FUZZY_THRESHOLD = 0.6


def index_path(settings: Settings) -> Path:
    """Where the cached index lives: ``<models>/normaliser/index.pkl``."""
    return Path(settings.models) / "normaliser" / FILE_NAME


def train_documents(settings: Settings, splits: Sequence[str] = TRAIN_SPLITS, exclude: set[str] = frozenset()):
    """Documents of the train splits found in the corpora folder (missing ones are skipped with a warning)."""
    from litgraph.fetch.corpora import load_corpus, resolve

    docs, used = [], []
    for name in splits:
        if not name.endswith(":train"):
            raise InputError(f"{name}: only train splits may add synonyms to the index")
        try:
            resolve(name, settings, download=False)
        except InputError as err:
            log.warning("train names of %s not used: %s", name, err)
            continue
        docs.extend(d for d in load_corpus(name, settings) if d.pmid not in exclude)
        used.append(name)
    return docs, used


class Normaliser:
    """Maps mentions and user names to concepts with a prebuilt ``Index``."""

    def __init__(self, index: Index, threshold: float = FUZZY_THRESHOLD, steps: Sequence[str] = STEPS,
                 name_threshold: float = NAME_FUZZY_THRESHOLD) -> None:
        self.index = index
        self.threshold = threshold
        self.name_threshold = name_threshold
        self.steps = frozenset(steps)
        self._position: dict[str, int] | None = None
        self._by_xref: dict[str, list[int]] | None = None
        self._buffers: dict[str, np.ndarray] = {}  # per type: score accumulator of the fuzzy step
        self._species = "human"
        self._cache: dict[tuple[str, str, tuple], tuple[list[str], float, list[str]]] = {}

    # --- loading ---------------------------------------------------------------------------------

    @classmethod
    def load(cls, settings: Settings | None = None, *, rebuild: bool = False) -> "Normaliser":
        """The normaliser of ``settings.models``; the index is built first (progress bar) when it is missing
        or was written by another version of litgraph. A corrupt index is an ``InputError``."""
        settings = settings or Settings.from_env()
        path = index_path(settings)
        if not rebuild and path.exists():
            try:
                return cls(Index.load(path))
            except OutdatedIndex as err:
                log.warning("%s; rebuilding it", err)
        docs, used = train_documents(settings)
        return cls(build_index(path, train_docs=docs, train_splits=used))

    # --- mentions --------------------------------------------------------------------------------

    def normalise(self, doc: Document) -> Document:
        """Fill ``ids``, ``id_score`` (and ``composite`` when split) of the Chemical, Disease and Gene mentions, and
        the ids of Variant mentions written as dbSNP numbers (``dbSNP:rs6275``)."""
        abbreviations = abbreviation_map(doc.text) if "abbreviation" in self.steps else {}
        species = species_of(doc.text)
        for mention in doc.mentions:
            if mention.type in TYPE_BIT:
                ids, score, parts = self._match(mention.text, mention.type, abbreviations, species)
                mention.ids, mention.id_score = ids, score
                if parts:
                    mention.composite = parts
            elif mention.type == "Variant" and (rs := _RS_NUMBER.fullmatch(mention.text.strip())):
                mention.ids, mention.id_score = [f"dbSNP:rs{rs.group(1)}"], 1.0
        return doc

    def normalise_mention(self, text: str, entity_type: str, context: str | None = None) -> tuple[list[str], float]:
        """Ids (CURIEs, empty when nothing is good enough) and score for one mention; ``context`` gives abbreviations."""
        if entity_type not in TYPE_BIT:
            raise InputError(f"entity type {entity_type!r} is not normalised; use one of {', '.join(TYPES)}")
        abbreviations = abbreviation_map(context) if context and "abbreviation" in self.steps else {}
        ids, score, _ = self._match(text, entity_type, abbreviations, species_of(context or ""))
        return ids, score

    def _match(self, text: str, etype: str, abbreviations: dict[str, list[str]],
               species: str) -> tuple[list[str], float, list[str]]:
        ids, score, parts, _ = self.explain(text, etype, abbreviations, species)
        return ids, score, parts

    def explain(self, text: str, etype: str, abbreviations: dict[str, list[str]] | None = None, species: str = "human"):
        """``(ids, score, composite parts, step)``: the answer and the pipeline step that gave it (None: no answer).

        ``species`` ("human", "mouse" or "rat", see ``species_of``) picks among genes that share a name.
        """
        text = text.strip()
        abbreviations = abbreviations or {}
        relevant = tuple(sorted((s, tuple(v)) for s, v in abbreviations.items() if s in text))
        species = species if etype == "Gene" and "species" in self.steps else "human"
        cache_key = (text, etype, relevant, species)
        hit = self._cache.get(cache_key)
        if hit is None:
            self._species = species
            hit = self._match_uncached(text, etype, dict(relevant))
            if len(self._cache) > 500_000:
                self._cache.clear()
            self._cache[cache_key] = hit
        return list(hit[0]), hit[1], list(hit[2]), hit[3]

    def _match_uncached(self, text: str, etype: str, abbreviations: dict[str, list[str]], split: bool = True):
        expansions = self._expansions(text, abbreviations) if "abbreviation" in self.steps and abbreviations else []
        for expanded in expansions:
            found = self._lookup(expanded, etype) or self._lookup(self._uninduced(expanded, etype), etype)
            if found:
                return found[0], found[1] * 0.98, [], "abbreviation"
        found = self._lookup(text, etype)
        if found:
            return found[0], found[1], [], found[2]
        for expanded in expansions[:1]:  # the long form through the other steps, before guessing from the short one
            ids, score, parts, step = self._match_uncached(expanded, etype, {}, split)
            if ids:
                return ids, score * 0.95, parts, "abbreviation"
        if "parentheses" in self.steps:
            stripped = self._uninduced(_PARENS.sub("", text).strip(), etype)
            found = self._lookup(stripped, etype) if stripped and stripped != text else None
            if found:
                return found[0], found[1] * 0.95, [], "parentheses"
        if "morphology" in self.steps:
            for variant in strings.morphological_variants(text, etype) + strings.joined_hyphens(text):
                found = self._lookup(variant, etype)
                if found:
                    return found[0], found[1] * 0.9, [], "morphology"
        if split and "composite" in self.steps:
            composite = self._composite(text, etype)
            if composite:
                return (*composite, "composite")
        if "fuzzy" in self.steps:
            best = self._fuzzy(strings.key(text), etype, 1)
            if best and best[0][1] >= self.threshold:
                return [self.index.ids[best[0][0]]], float(best[0][1]), [], "fuzzy"
            return [], float(best[0][1]) if best else 0.0, [], None
        return [], 0.0, [], None

    @staticmethod
    def _uninduced(text: str, etype: str) -> str:
        """A disease without its cause: "ribavirin-induced hemolytic anemia" -> "hemolytic anemia"."""
        return _INDUCED.sub("", text) if etype == "Disease" else text

    @staticmethod
    def _expansions(text: str, abbreviations: dict[str, list[str]]) -> list[str]:
        """The mention with defined short forms replaced by their long forms (candidates, best first)."""
        if text in abbreviations:
            return abbreviations[text]
        expanded = text
        for short, longs in abbreviations.items():
            if len(short) > 1 and short in expanded:
                expanded = re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", longs[0], expanded)
        return [expanded] if expanded != text else []

    def _lookup(self, text: str, etype: str) -> tuple[list[str], float, str] | None:
        """Steps ``exact`` and ``bag`` for one string: (ids, score, step) or None."""
        index, bit = self.index, TYPE_BIT[etype]
        folded = strings.key(text)
        if not folded:
            return None
        multi = index.multi.get(f"{etype}{SEP}{folded}")
        if multi:
            return list(multi), 1.0, "exact"
        if etype in ("Gene", "Chemical"):  # symbols as written: genes' (HGNC...) and the elements' ("Pb" is lead)
            best = self._first(index.cased.get(text), bit)
            if best is not None:
                return [index.ids[best]], 1.0, "exact"
        best = self._first(index.exact.get(folded), bit, text)
        if best is not None:
            return [index.ids[best]], 1.0, "exact"
        if "bag" in self.steps:
            best = self._first(index.bags.get(strings.bag(folded)), bit)
            if best is not None:
                return [index.ids[best]], 0.95, "bag"
        return None

    def _first(self, candidates: tuple[int, ...] | None, bit: int, text: str | None = None) -> int | None:
        """The best candidate of the type: for genes, one of the document's species when there is one;
        otherwise one with a name spelt as ``text`` (case aside: "amphetamines" is the class) if any."""
        if not candidates:
            return None
        types = self.index.types
        typed = [c for c in candidates if types[c] & bit]
        if text and len(typed) > 1 and bit != TYPE_BIT["Gene"]:
            literal = text.lower()
            index = self.index
            spelt = [c for c in typed if index.names[c].lower() == literal
                     or literal in index.synonyms[c].lower().split(SEP)]
            typed = spelt + [c for c in typed if c not in spelt]
        if len(typed) > 1 and bit == TYPE_BIT["Gene"] and "species" in self.steps:
            species = self.index.species
            for wanted in dict.fromkeys((SPECIES.index(self._species), SPECIES.index("human"))):
                found = next((c for c in typed if species[c] == wanted), None)
                if found is not None:
                    return found
        return typed[0] if typed else None

    def _composite(self, text: str, etype: str) -> tuple[list[str], float, list[str]] | None:
        """Split coordinated mentions; every part must resolve (any step but this one) to a different concept.

        The shared head is tried after the list ("breast and ovarian cancer", longest head first), then
        before it ("deficiency of C6 and C7"), then none ("hyperactivity and anxiety"); numbered gene
        lists ("ERK1/2", "caspase-3/7") are expanded first, other names joined by slashes read by ``_slashed``.
        The split whose weakest part scores best wins.
        """
        numbered = _NUMBERED.match(text) if etype == "Gene" else None
        if numbered:  # "ERK1/2", "caspase-3/7", "MMP-2/-9"
            stem, sep = numbered["stem"], numbered["sep"]
            conjuncts = [f"{stem}{sep}{n.lstrip('-')}" for n in [numbered["first"], *numbered["rest"].split("/")[1:]]]
            candidates = [conjuncts]
        else:
            conjuncts = [c.strip() for c in _CONJUNCTION.split(text) if c.strip()]
            candidates = []
            if len(conjuncts) < 2 and "/" in text:
                return self._slashed(text, etype)
        if len(conjuncts) < 2:
            return None
        last, first = conjuncts[-1].split(), conjuncts[0].split()
        for cut in range(1, len(last)):
            head = " ".join(last[cut:])
            candidates.append([f"{c} {head}" for c in conjuncts[:-1]] + [conjuncts[-1]])
        for cut in range(len(first) - 1, 0, -1):
            head = " ".join(first[:cut])
            candidates.append([conjuncts[0]] + [f"{head} {c}" for c in conjuncts[1:]])
        candidates.append(conjuncts)
        best = None
        for parts in candidates:
            ids: list[str] = []
            score = 1.0
            for part in parts:
                found = self._lookup(part, etype) or self._part(part, etype)
                if not found or any(i in ids for i in found[0]):
                    break
                ids.extend(found[0])
                score = min(score, found[1])
            else:
                if best is None or score > best[1]:
                    best = (ids, score, parts)
                if score == 1.0:
                    break
        return (best[0], best[1] * 0.9, best[2]) if best else None

    def _slashed(self, text: str, etype: str) -> tuple[list[str], float, list[str]] | None:
        """Names joined by slashes: names of one concept ("p62/SQSTM1": p62 is also a name of SQSTM1) give that
        concept, names of different concepts ("insulin/IGF-1") each theirs, as a composite; every part must resolve."""
        parts = [p.strip() for p in text.split("/")]
        if len(parts) < 2 or not all(parts):
            return None
        index, bit = self.index, TYPE_BIT[etype]
        named = [self._named(part, bit) for part in parts]
        shared = [c for c in named[0] if all(c in others for others in named[1:])]
        if shared:
            return [index.ids[shared[0]]], 0.9, []
        ids: list[str] = []
        score = 1.0
        for part in parts:
            found = self._lookup(part, etype) or self._part(part, etype)
            if not found:
                return None
            ids.extend(i for i in found[0] if i not in ids)
            score = min(score, found[1])
        return (ids, score * 0.9, []) if len(ids) == 1 else (ids, score * 0.9, parts)

    def _named(self, text: str, mask: int) -> list[int]:
        """The concepts of the types in ``mask`` that have ``text`` as a name (as written, folded or in any word
        order), best first."""
        folded = strings.key(text)
        index = self.index
        found = [*index.cased.get(text, ()), *index.exact.get(folded, ()), *index.bags.get(strings.bag(folded), ())]
        return [c for c in dict.fromkeys(found) if index.types[c] & mask]

    def _part(self, text: str, etype: str) -> tuple[list[str], float] | None:
        """One part of a composite mention, through the steps after ``exact`` (no further splitting)."""
        ids, score, _, step = self._match_uncached(text, etype, {}, split=False)
        return (ids, score) if ids else None

    def _fuzzy(self, folded: str, etype: str, limit: int) -> list[tuple[int, float]]:
        """Best concepts of ``etype`` by trigram cosine (idf-weighted): [(concept number, score)].

        A name whose numbers differ from the query's is no candidate: "matrix metalloproteinase 2" is not
        "matrix metalloproteinase 1", nor "type I diabetes" "type 2 diabetes" (``strings.numbers_agree``).

        Candidates come from the query's rarer trigrams only; the best ``FUZZY_RERANK`` of them are
        then scored exactly, the common trigrams found by binary search in their (sorted) postings.
        """
        if not folded:
            return []
        table = self.index.fuzzy[etype]
        vocab, idf, indptr, postings = table["grams"], table["idf"], table["indptr"], table["postings"]
        query = strings.grams(folded)
        known = {g: vocab[g] for g in query if g in vocab}
        if not known:
            return []
        weight = {g: float(idf[i]) ** 2 for g, i in known.items()}
        query_norm = (sum(weight.values()) + (len(query) - len(known)) * float(idf.max()) ** 2) ** 0.5
        cap = max(500, int(FUZZY_COMMON * len(table["names"])))
        buffer = self._buffers.get(etype)
        if buffer is None:
            buffer = self._buffers[etype] = np.zeros(len(table["names"]), dtype=np.float64)
        lists, common = [], []
        for g, i in known.items():
            start, end = int(indptr[i]), int(indptr[i + 1])
            if end - start <= cap:
                rows = postings[start:end]
                buffer[rows] += weight[g]  # a trigram's postings hold each name once
                lists.append(rows)
            else:
                common.append((postings[start:end], weight[g]))
        if not lists:
            return []
        touched = np.concatenate(lists)
        dots_all = buffer[touched]
        buffer[touched] = 0.0
        partial = dots_all / table["norms"][touched]
        if len(partial) > FUZZY_RERANK * 4:
            keep = np.argpartition(-partial, FUZZY_RERANK * 4)[: FUZZY_RERANK * 4]
            touched, partial, dots_all = touched[keep], partial[keep], dots_all[keep]
        order = np.argsort(-partial, kind="stable")
        shortlist, first = np.unique(touched[order], return_index=True)
        best = np.sort(first)[:FUZZY_RERANK]
        shortlist, dots = touched[order][best], dots_all[order][best]
        for rows_with_gram, w in common:  # sorted by name number: membership by binary search
            at = np.minimum(np.searchsorted(rows_with_gram, shortlist), len(rows_with_gram) - 1)
            dots = dots + w * (rows_with_gram[at] == shortlist)
        cosines = dots / (table["norms"][shortlist] * query_norm)
        words = set(folded.split())
        names = table["names"]
        rows = shortlist.tolist()
        bonus = [FUZZY_WORD_BONUS * len(words.intersection(names[row].split())) / len(words) for row in rows]
        numbers = strings.numerals(folded)
        agree = [strings.numbers_agree(numbers, strings.numerals(names[row])) for row in rows]
        scored = sorted(((score, concept) for score, concept, ok in
                         zip((cosines + bonus).tolist(), table["concepts"][shortlist].tolist(), agree) if ok), reverse=True)
        result, seen = [], set()
        for score, concept in scored:
            if concept not in seen:
                seen.add(concept)
                result.append((concept, min(score, 1.0)))
        return result[:limit]

    # --- concepts and the resolver ------------------------------------------------------------

    def concept(self, curie: str) -> Concept | None:
        """The concept with this id: name, synonyms, xrefs, tree numbers; None when unknown."""
        number = self._positions().get(curie)
        return None if number is None else self._concept(number)

    def narrower(self, curie: str, than: str) -> bool:
        """Whether concept ``curie`` lies below concept ``than`` in the MeSH tree (a tree number of ``curie``
        extends one of ``than``'s); False for concepts without tree numbers (genes, supplementary concepts)."""
        if curie == than:
            return False
        index, positions = self.index, self._positions()
        mine, theirs = positions.get(curie), positions.get(than)
        if mine is None or theirs is None or not index.trees[mine] or not index.trees[theirs]:
            return False
        below = index.trees[mine].split(SEP)
        return any(t.startswith(top + ".") for top in index.trees[theirs].split(SEP) for t in below)

    def _positions(self) -> dict[str, int]:
        if self._position is None:
            self._position = {curie: i for i, curie in enumerate(self.index.ids)}
        return self._position

    def _concept(self, number: int) -> Concept:
        index = self.index
        bits = int(index.types[number])
        etype = next((t for t in TYPES if bits & TYPE_BIT[t]), "")

        def split(value: str) -> list[str]:
            return value.split(SEP) if value else []

        return Concept(index.ids[number], etype, index.names[number], split(index.synonyms[number]),
                       split(index.xrefs[number]), split(index.trees[number]))

    def resolve(self, query: str, types: Sequence[str] | None = None, limit: int = 5) -> list[Concept]:
        """Concepts for a user's name or CURIE, best first. Unknown CURIEs come back as given, with no type.

        A CURIE finds its concept, or the concepts that carry it as an xref (``CHEBI:15365`` -> aspirin).
        A name finds the concepts under its folded forms, those spelt exactly as the query first; only
        when there are none, the closest names by trigram similarity (from ``name_threshold``).
        """
        query = query.strip()
        wanted = [t for t in (types or TYPES) if t in TYPE_BIT]
        mask = sum(TYPE_BIT[t] for t in wanted)
        if CURIE.match(query):
            number = self._positions().get(query)
            if number is not None:
                return [self._concept(number)]
            numbers = [n for n in self._xref_positions().get(query, []) if int(self.index.types[n]) & mask]
            if numbers:
                return [self._concept(n) for n in numbers[:limit]]
            return [Concept(query, "", query)]
        folded = strings.key(query)
        ranked = self._named(query, mask)
        literal = query.lower()
        ranked.sort(key=lambda c: not (self.index.names[c].lower() == literal
                                       or literal in self.index.synonyms[c].lower().split(SEP)))
        if not ranked:
            fuzzy = sorted((hit for t in wanted for hit in self._fuzzy(folded, t, limit)), key=lambda h: -h[1])
            ranked = list(dict.fromkeys(c for c, score in fuzzy if score >= self.name_threshold))
        return [self._concept(c) for c in ranked[:limit]]

    def _xref_positions(self) -> dict[str, list[int]]:
        if self._by_xref is None:
            by_xref: dict[str, list[int]] = {}
            for number, xrefs in enumerate(self.index.xrefs):
                for xref in xrefs.split(SEP) if xrefs else ():
                    by_xref.setdefault(xref, []).append(number)
            self._by_xref = by_xref
        return self._by_xref
