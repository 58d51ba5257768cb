"""Name folding and abbreviation definitions (no index needed)."""

from litgraph.normalise import strings
from litgraph.normalise.abbreviations import abbreviation_map


def test_key_folds_case_punctuation_hyphens_plurals():
    assert strings.key("Non-steroidal anti-inflammatory drugs") == strings.key("NON STEROIDAL ANTI INFLAMMATORY DRUG")
    assert strings.key("Breast Cancers") == strings.key("breast cancer")
    assert strings.key("  Ovarian   cancer ") == "ovarian cancer"


def test_key_folds_greek_letters_and_british_spellings():
    assert strings.key("TNF-α") == strings.key("TNF alpha")
    assert strings.key("β-blockers") == strings.key("beta blocker")
    assert strings.key("leukaemia") == strings.key("leukemia")
    assert strings.key("oesophageal tumours") == strings.key("esophageal tumor")
    assert strings.key("haemorrhage") == strings.key("hemorrhage")


def test_key_splits_letters_from_digits():
    assert strings.key("IL6") == strings.key("IL-6") == "il 6"


def test_key_keeps_words_that_end_in_s_but_are_not_plurals():
    assert strings.key("psychosis") == "psychosis"
    assert strings.key("Hepatitis") == "hepatitis"


def test_bag_ignores_word_order_and_function_words():
    assert strings.bag(strings.key("cancer of the breast")) == strings.bag(strings.key("Breast Cancer"))
    assert strings.bag(strings.key("Neoplasms, Breast")) == strings.bag(strings.key("breast neoplasm"))


def test_morphological_variants_only_for_diseases():
    assert "dyskinesia" in strings.morphological_variants("dyskinetic", "Disease")
    assert "kidney injury" in strings.morphological_variants("renal injury", "Disease")
    assert "syncope" in strings.morphological_variants("syncopal attacks", "Disease")
    assert "prostate cancer" in strings.morphological_variants("prostate carcinomas", "Disease")
    assert strings.morphological_variants("dyskinetic", "Chemical") == []


def test_abbreviations_from_a_real_abstract(data_dir):
    text = (data_dir / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt").read_text(encoding="utf-8")
    abstract = next(line for line in text.splitlines() if line.startswith("11694026|a|")).split("|", 2)[2]
    found = abbreviation_map(abstract)
    assert found["NSAIDs"][0].lower() == "nonsteroidal anti-inflammatory drugs"


def test_abbreviations_that_scispacy_skips_and_cut_long_forms():
    text = ("Methamphetamine (MA)-induced neurotoxicity. The effect of phenobarbital (PB: 15 mg per rat). "
            "Women on combined oral contraceptives (COCs) were followed.")
    found = abbreviation_map(text)
    assert found["MA"] == ["Methamphetamine"]
    assert found["PB"] == ["phenobarbital"]
    assert found["COCs"][0] == "combined oral contraceptives"


def test_numbers_of_a_name_are_compared_roman_or_arabic():
    assert strings.numerals(strings.key("type II diabetes")) == strings.numerals(strings.key("Type 2 diabetes")) == {"2"}
    assert not strings.numbers_agree(strings.numerals(strings.key("MMP-2")), strings.numerals(strings.key("MMP1")))
    assert not strings.numbers_agree(strings.numerals(strings.key("MMP-2")), strings.numerals(strings.key("MMPs")))
    assert strings.numbers_agree(strings.numerals(strings.key("Schwartz-Jampel syndrome")),
                                 strings.numerals(strings.key("Schwartz-Jampel syndrome, type 1")))


def test_hyphens_inside_words_may_be_joined_and_leuco_is_leuko():
    assert strings.joined_hyphens("venous thrombo-embolism") == ["venous thromboembolism"]
    assert strings.joined_hyphens("IL-6") == [] and strings.joined_hyphens("aspirin") == []
    assert strings.key("leucocytoclastic vasculitis") == strings.key("leukocytoclastic vasculitis")
    assert strings.key("SR 48,968") == strings.key("SR 48968") and strings.key("1,2-diol") == "1 2 diol"
