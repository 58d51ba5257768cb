"""Dictionary features of the NER model: vocabulary names matched over real text, tags per subword,
and a tagger widened for the tags that predicts exactly as before it has learned anything from them."""

from __future__ import annotations

import pytest
import torch

from litgraph.extract.data import encode, word_spans
from litgraph.extract.lexicon import GENE, TAGS, TYPE_MASKS, Lexicon
from litgraph.extract.ner import NerTagger
from litgraph.extract.store import SHIPPED
from litgraph.records import Document, Mention

TEXT = ("Doxorubicin-induced cardiomyopathy was seen in all 12 children with ALL. "
        "Expression of TNF was raised, and the tnf-like signal was not.")
CHEMICAL, DISEASE = 1, 2


@pytest.fixture(scope="module")
def lexicon(normaliser) -> Lexicon:
    return Lexicon(normaliser.index.lexicon)


@pytest.fixture(scope="module")
def tagger() -> NerTagger:
    return NerTagger.load(SHIPPED / "ner")


def matches(lexicon: Lexicon, text: str, tokenizer) -> dict[str, int]:
    """Matched surface strings with their type bits."""
    spans = [(s, e) for _, s, e in word_spans(encode(tokenizer, text))]
    out, current = {}, None
    for (s, e), tag in zip(spans, lexicon.word_tags(text, spans)):
        if 1 <= tag < TYPE_MASKS:
            current = [s, e, tag]
        elif tag >= TYPE_MASKS and current is not None:
            current[1] = e
        else:
            current = None
            continue
        out[text[current[0]:current[1]]] = current[2]
    return {k: v for k, v in out.items() if not any(k != o and k in o for o in out)}


def test_longest_vocabulary_matches_with_their_types(lexicon, tagger):
    found = matches(lexicon, TEXT, tagger.tokenizer)
    assert found["Doxorubicin"] & CHEMICAL
    assert "Doxorubicin-" not in found  # a match never ends on punctuation
    assert found["cardiomyopathy"] & DISEASE
    assert found["ALL"] & DISEASE  # acute lymphoblastic leukaemia, written as an abbreviation
    assert found["TNF"] & GENE
    assert "all" not in found and "was" not in found and "tnf" not in found  # common words and lower-case symbols
    assert not any(v == 0 for v in found.values())


def test_the_lexicon_holds_vocabulary_names_only(lexicon, normaliser):
    """Train-split names are in the normaliser's exact names but never in the lexicon (same meaning on unseen text)."""
    from litgraph.normalise import strings

    assert len(lexicon.names) > 500_000
    assert strings.key("acute lymphoblastic leukemia") in lexicon.names
    assert set(lexicon.names) <= set(normaliser.index.exact)
    assert len(normaliser.index.exact) > len(lexicon.names)


def test_token_tags_follow_words_and_stay_in_range(lexicon, tagger):
    enc = encode(tagger.tokenizer, TEXT)
    tags = lexicon.token_tags(TEXT, enc)
    assert len(tags) == len(enc)
    assert all(0 <= t < TAGS for t in tags)
    first = enc.word_ids[0]
    assert len({t for t, w in zip(tags, enc.word_ids) if w == first}) == 1  # every subword of a word shares its tag
    assert tags[0] & CHEMICAL


def test_widened_tagger_predicts_as_before_until_trained(lexicon, tiny_models):
    tagger = NerTagger.load(tiny_models["ner"])  # trained without dictionary features
    assert "lexicon" not in tagger.meta
    doc = Document(pmid="1", title="", abstract=TEXT)
    before = tagger.predict([doc])[0]
    probs_before = tagger._probabilities([doc.text], [encode(tagger.tokenizer, doc.text)], 4)[0]
    widened = NerTagger.load(tiny_models["ner"])
    widened.use_lexicon()
    widened.lexicon = lexicon
    assert widened.model.config.type_vocab_size == TAGS and "lexicon" in widened.meta
    probs_after = widened._probabilities([doc.text], [encode(widened.tokenizer, doc.text)], 4)[0]
    assert torch.allclose(probs_before, probs_after, atol=1e-4)
    assert [(m.start, m.end, m.type) for m in widened.predict([doc])[0]] == [(m.start, m.end, m.type) for m in before]


def _mention(text: str, needle: str, etype: str, nth: int = 0) -> Mention:
    """A mention of the ``nth`` occurrence of ``needle`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return Mention("1", start, start + len(needle), needle, etype)


# NCBI-disease dev, PMIDs 9072974 and 8871666 (abridged): each coordination is one gold mention
COORDINATED = ("PTEN, a putative protein tyrosine phosphatase gene mutated in human brain, breast, and prostate cancer. "
               "It occurs with other C6 and C7 deficiencies, and with hypertension and heart failure.")


def test_coordinated_disease_names_that_share_their_last_word_are_one_mention(lexicon):
    from litgraph.extract.consistency import join_coordinated

    # what the tagger gives: the parts split, "brain" missed
    split = [_mention(COORDINATED, t, "Disease") for t in ("breast", "prostate cancer", "C6", "C7 deficiencies", "hypertension", "heart failure")]
    joined = [m.text for m in join_coordinated(COORDINATED, split, lexicon.is_name)]
    assert joined == ["brain, breast, and prostate cancer", "C6 and C7 deficiencies",
                      "hypertension", "heart failure"]  # two names, each a disease by itself, stay two


def test_the_shipped_tagger_gives_coordinated_names_as_one_mention(tagger):
    doc = Document("9072974", COORDINATED)
    found = {m.text for m in tagger.predict([doc])[0] if m.type == "Disease"}
    assert "brain, breast, and prostate cancer" in found and "C6 and C7 deficiencies" in found


# NCBI-disease dev, PMID 8659549 (abridged)
ENZYME = ("Canavan disease is caused by the deficiency of aspartoacylase (ASPA). "
          "Mutations in ASPA that lead to loss of enzymatic activity have been identified.")


def test_a_short_form_of_an_enzyme_inside_a_disease_mention_keeps_its_own_type(lexicon):
    from litgraph.extract.consistency import harmonise

    tagged = [_mention(ENZYME, "Canavan disease", "Disease"), _mention(ENZYME, "deficiency of aspartoacylase", "Disease"),
              _mention(ENZYME, "ASPA", "Gene", 0), _mention(ENZYME, "ASPA", "Gene", 1)]
    typed = {(m.start, m.text): m.type for m in harmonise(ENZYME, tagged, is_name=lexicon.is_name)}
    assert [t for (_, text), t in typed.items() if text == "ASPA"] == ["Gene", "Gene"]
    # without the vocabulary the short form takes the type of the mention around its long form
    blind = harmonise(ENZYME, tagged)
    assert [m.type for m in blind if m.text == "ASPA"] == ["Disease", "Disease"]


def test_a_short_form_of_a_caused_disease_is_that_disease(settings):
    # BC5CDR dev 20195852: "contrast media-induced nephropathy (CIN)"; the tagger finds "nephropathy", and every later
    # "CIN" is the disease, as the corpus annotates it (before, the long form's cause kept CIN from being a mention)
    from litgraph.extract.consistency import harmonise
    from litgraph.fetch.corpora import load_corpus

    doc = next(d for d in load_corpus("bc5cdr:dev", settings) if d.pmid == "20195852")
    text = doc.text
    tagged = [Mention(doc.pmid, m.start, m.end, m.text, m.type) for m in doc.mentions if m.text != "CIN"]
    typed = harmonise(text, tagged)
    gold_cin = [(m.start, m.type) for m in doc.mentions if m.text == "CIN"]
    assert gold_cin and [(m.start, m.type) for m in typed if m.text == "CIN"] == gold_cin
