"""Repairs of decoded NER output: clean mention edges; an abbreviation takes the type of its long form."""

from __future__ import annotations

from litgraph.extract.consistency import harmonise, trim
from litgraph.records import Mention
from litgraph.text import abbreviations

TEXT = ("Contrast-induced nephropathy (CIN) is frequent after coronary angiography. CIN was seen in 12 of 80 "
        "patients given iodixanol, and serum creatinine (SCr) rose. The odds ratio (OR) was 2.1; SCr fell by day 3.")


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def mention(needle: str, etype: str, nth: int = 0) -> Mention:
    s, e = span(TEXT, needle, nth)
    return Mention("1", s, e, TEXT[s:e], etype, score=0.9, model="ner:test")


def test_short_forms_take_the_type_of_their_long_form():
    predicted = [
        mention("Contrast-induced nephropathy", "Disease"),
        mention("CIN", "Chemical", 0),  # mistyped
        # the second CIN is missed
        mention("iodixanol", "Chemical"),
        mention("creatinine", "Chemical"),
        mention("SCr", "Chemical", 0),
        mention("OR", "Gene"),  # "odds ratio" is no entity: its short form is none either
    ]
    out = {(m.start, m.end): m.type for m in harmonise(TEXT, predicted)}
    assert out[span(TEXT, "CIN", 0)] == "Disease"
    assert out[span(TEXT, "CIN", 1)] == "Disease"
    assert out[span(TEXT, "SCr", 1)] == "Chemical"  # the second SCr, missed by the tagger, is added
    assert span(TEXT, "OR") not in out
    assert out[span(TEXT, "iodixanol")] == "Chemical" and out[span(TEXT, "Contrast-induced nephropathy")] == "Disease"


def test_text_without_definitions_is_left_alone():
    text = "Cocaine causes seizures."
    predicted = [Mention("1", 0, 7, "Cocaine", "Chemical"), Mention("1", 15, 23, "seizures", "Disease")]
    assert harmonise(text, predicted) == predicted


def test_a_longer_mention_around_a_short_form_is_kept_and_types_it():
    text = ("Glucose-6-phosphate dehydrogenase (G6PD) deficiency is common. Von Hippel-Lindau (VHL) disease is rare; "
            "G6PD deficiency and VHL were both seen.")
    predicted = []
    for needle, nth in (("Glucose-6-phosphate dehydrogenase (G6PD) deficiency", 0), ("Von Hippel-Lindau (VHL) disease", 0),
                        ("G6PD deficiency", 0)):
        s, e = span(text, needle, nth)
        predicted.append(Mention("1", s, e, text[s:e], "Disease"))
    out = {(m.start, m.end): m.type for m in harmonise(text, predicted)}
    assert all((m.start, m.end) in out for m in predicted)  # "G6PD deficiency" is not cut down to "G6PD"
    assert out[span(text, "VHL", 1)] == "Disease"  # typed by the mention that contains its long form


def test_mention_edges_lose_punctuation_and_function_words():
    text = "A deficiency of APRT in kidneys, and (vitamin A) breast, or hepatitis A cases."
    def at(needle):
        s = text.index(needle)
        return Mention("1", s, s + len(needle), needle, "Disease")
    trimmed = trim([at("deficiency of APRT in"), at("(vitamin A)"), at("breast, or"), at("hepatitis A"), at(", and")])
    assert [(m.text, text[m.start:m.end]) for m in trimmed] == [
        ("deficiency of APRT", "deficiency of APRT"), ("(vitamin A)", "(vitamin A)"), ("breast", "breast"), ("hepatitis A", "hepatitis A")]


def test_a_mention_after_a_preposition_in_the_long_form_does_not_type_the_short_form():
    text = "The DCC (deleted in colorectal cancer) gene was studied. Loss of DCC expression predicts survival."
    assert {(a.short, a.long) for a in abbreviations(text)} == {("DCC", "deleted in colorectal cancer")}
    s, e = span(text, "colorectal cancer")
    second = span(text, "DCC", 1)
    predicted = [Mention("1", s, e, text[s:e], "Disease"), Mention("1", *second, "DCC", "Gene")]
    out = {(m.start, m.end): m.type for m in harmonise(text, predicted)}
    assert out[(s, e)] == "Disease"
    assert out.get(second) != "Disease"  # "colorectal cancer" is what DCC is deleted in, not what DCC stands for
