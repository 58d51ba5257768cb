"""Matching on real vocabularies and real corpus mentions."""

import pytest

from litgraph.fetch.corpora import load_corpus
from litgraph.errors import InputError
from litgraph.normalise import evaluate


def _doc(settings, corpus, pmid):
    return next(d for d in load_corpus(corpus, settings) if d.pmid == pmid)


def test_known_names_resolve_to_known_ids(normaliser):
    assert normaliser.normalise_mention("aspirin", "Chemical") == (["MESH:D001241"], 1.0)
    assert normaliser.normalise_mention("BRCA1", "Gene")[0] == ["NCBIGene:672"]
    assert normaliser.normalise_mention("Type 2 diabetes", "Disease")[0] == ["MESH:D003924"]
    assert normaliser.normalise_mention("TNF-α", "Gene")[0] == ["NCBIGene:7124"]


def test_nsaids_in_context_expand_to_the_drug_class(normaliser, settings):
    doc = _doc(settings, "bc5cdr:dev", "11694026")
    ids, score = normaliser.normalise_mention("NSAIDs", "Chemical", context=doc.text)
    assert ids == ["MESH:D000894"] and 0.9 <= score <= 1


def test_abbreviation_defined_in_the_document_wins(normaliser, settings):
    # "ribavirin-induced hemolytic anemia (RIHA)": the short form is normalised through its long form
    doc = _doc(settings, "bc5cdr:dev", "11705128")
    rihas = [m for m in doc.mentions if m.text == "RIHA"]
    assert rihas
    normaliser.normalise(doc)
    assert {tuple(m.ids) for m in rihas} == {("MESH:D000743",)}


def test_composite_mentions_from_the_corpus_split_into_several_ids(normaliser, settings):
    doc = _doc(settings, "bc5cdr:dev", "2339463")
    mention = next(m for m in doc.mentions if m.text == "sagittal and left transverse sinus thrombosis")
    ids, score, parts, step = normaliser.explain(mention.text, "Disease")
    assert step == "composite"
    assert ids == ["MESH:D020225", "MESH:D020227"] == mention.ids, (ids, score, parts)
    assert parts == ["sagittal sinus thrombosis", "left transverse sinus thrombosis"]
    normaliser.normalise(doc)
    assert mention.composite == parts and 0 < mention.id_score < 1


def test_names_joined_by_a_slash_give_their_concept_or_each_theirs(normaliser):
    # "p62/SQSTM1" (BioRED dev): p62 alone is DCTN4 first, but SQSTM1 has both names
    assert normaliser.explain("p62/SQSTM1", "Gene")[::2] == (["NCBIGene:8878"], [])
    ids, _, parts, step = normaliser.explain("insulin/glucagon", "Gene")
    assert (ids, parts, step) == (["NCBIGene:3630", "NCBIGene:2641"], ["insulin", "glucagon"], "composite")
    assert normaliser.explain("p62/qqqzzzxx", "Gene")[0] == []  # every part must resolve


def test_numbered_gene_lists_split(normaliser):
    ids, _, parts, step = normaliser.explain("caspase-3/7", "Gene")
    assert (ids, parts, step) == (["NCBIGene:836", "NCBIGene:840"], ["caspase-3", "caspase-7"], "composite")


def test_type_constraints_hold(normaliser):
    assert normaliser.normalise_mention("aspirin", "Disease")[0] != ["MESH:D001241"]
    assert not any(i.startswith("NCBIGene:") for i in normaliser.normalise_mention("BRCA1", "Chemical")[0])
    for text in ("hypertension", "breast cancer", "seizures"):
        ids, _ = normaliser.normalise_mention(text, "Disease")
        assert ids and normaliser.concept(ids[0]).type == "Disease"
    with pytest.raises(InputError, match="Species"):
        normaliser.normalise_mention("mice", "Species")


def test_a_weak_fuzzy_match_gives_a_mention_no_id_but_a_close_one_does(normaliser):
    # BC5CDR dev mentions: below FUZZY_THRESHOLD the closest names were wrong concepts (a kidney mention as a
    # liver disease, a heart inflammation as a muscular dystrophy); a wrong id would be a wrong graph entity
    for text, wrong in (("decreased renal function", "MESH:D008107"), ("eosinophilic myocarditis", "MESH:C535895"),
                        ("vestibulotoxicity", "MESH:D001855")):
        ids, score, _, step = normaliser.explain(text, "Disease")
        assert ids == [] and step is None and score < normaliser.threshold, (text, ids, score)
        assert wrong in [c.id for c in normaliser.resolve(text, ["Disease"])]  # a user's name still finds it
    for text, right in (("thromboembolic disease", "MESH:D013923"), ("ceroid lipofuscinosis", "MESH:D009472")):
        assert normaliser.explain(text, "Disease")[::3] == ([right], "fuzzy")


def test_a_fuzzy_match_never_changes_the_number(normaliser):
    # BioRED dev: "matrix metalloproteinase-2" (no Gene name spelt so) came out as MMP1 (its family name, "matrix
    # metalloproteinases"), "C-C chemokine receptor 5" as CCR2, "FGF receptor 4" as FGFR2 and "hepatocyte nuclear
    # factor 1b" as ONECUT1 (hepatocyte nuclear factor 6); HNF1B now has MeSH's name for it
    for text, right in (("matrix metalloproteinase-2", ["NCBIGene:4313"]), ("C-C chemokine receptor 5", ["NCBIGene:1234"]),
                        ("FGF receptor 4", []), ("hepatocyte nuclear factor 1b", ["NCBIGene:6928"])):
        assert normaliser.explain(text, "Gene")[0] == right, text
    # a name without a number may still stand for its numbered type
    assert normaliser.explain("type IID von Willebrand disease", "Disease")[::3] == (["MESH:D056728"], "fuzzy")


def test_spellings_of_bc5cdr_dev_disease_mentions(normaliser):
    assert normaliser.explain("venous thrombo-embolism", "Disease")[::3] == (["MESH:D054556"], "morphology")
    assert normaliser.normalise_mention("leucocytoclastic vasculitis", "Disease")[0] == ["MESH:D018366"]


def test_element_symbols_are_their_elements_in_their_case(normaliser):
    # BioRED dev writes lead as "Pb" (12 mentions), BC5CDR dev chlorine as "Cl"; "PB" is phenobarbital's abbreviation
    assert normaliser.normalise_mention("Pb", "Chemical")[0] == ["MESH:D007854"]
    assert normaliser.normalise_mention("Cd", "Chemical")[0] == ["MESH:D002104"]
    assert normaliser.normalise_mention("Cl", "Chemical")[0] == ["MESH:D002713"]
    assert normaliser.normalise_mention("PB", "Chemical")[0] != ["MESH:D007854"]
    assert "pb" not in normaliser.index.lexicon or normaliser.index.lexicon["pb"] != 1  # not a tagger feature


def test_nothing_good_enough_gives_an_empty_list_and_a_low_score(normaliser):
    ids, score = normaliser.normalise_mention("qqqzzzxxyy", "Chemical")
    assert ids == [] and score < normaliser.threshold


def test_normalise_fills_every_normalisable_mention_in_place(normaliser, settings):
    doc = _doc(settings, "biored:dev", load_corpus("biored:dev", settings)[0].pmid)
    for m in doc.mentions:
        m.ids = []
    assert normaliser.normalise(doc) is doc
    for m in doc.mentions:
        if m.type in ("Chemical", "Disease", "Gene"):
            assert m.id_score is not None and 0 <= m.id_score <= 1
            assert all(":" in i for i in m.ids)
        elif not (m.type == "Variant" and m.text.lower().startswith("rs")):
            assert m.ids == [] and m.id_score is None


def test_variants_written_as_dbsnp_numbers_get_their_id_and_no_other_notation_does(normaliser, settings):
    docs = load_corpus("biored:dev", settings)
    gold = {(d.pmid, m.start): list(m.ids) for d in docs for m in d.mentions if m.type == "Variant"}
    for doc in docs:
        for m in doc.mentions:
            m.ids, m.id_score = [], None
        normaliser.normalise(doc)
    variants = [(d.pmid, m) for d in docs for m in d.mentions if m.type == "Variant"]
    named = [(pmid, m) for pmid, m in variants if m.ids]
    assert len(named) >= 25  # BioRED dev writes 30 of its 250 variant mentions as rs numbers
    for pmid, m in named:
        assert m.ids == gold[(pmid, m.start)] == [f"dbSNP:{m.text.lower().replace(' ', '')}"] and m.id_score == 1.0
    # "R215W", "c.643C>T": which variant they name depends on the gene, so no id (one node per notation would merge
    # the variants of different genes)
    assert all(not m.ids for _, m in variants if not m.text.lower().startswith("rs"))


def test_accuracy_on_ncbi_disease_dev(normaliser, settings):
    result = evaluate(normaliser, load_corpus("ncbi-disease:dev", settings), ("Disease",))
    assert result["mentions"] == 787
    assert result["accuracy"] > 0.8


def test_resolver_names_and_curies(normaliser):
    assert normaliser.resolve("aspirin")[0].id == "MESH:D001241"
    assert normaliser.resolve("NSAIDs")[0].id == "MESH:D000894"
    assert normaliser.resolve("type 2 diabetes")[0].id == "MESH:D003924"
    assert normaliser.resolve("BRCA1", types=["Gene"])[0].id == "NCBIGene:672"
    assert all(c.type == "Chemical" for c in normaliser.resolve("aspirin", types=["Chemical"], limit=3))
    assert normaliser.resolve("MESH:D001241")[0].name == "Aspirin"
    assert normaliser.resolve("CHEBI:15365")[0].id == "MESH:D001241"  # an xref finds the concept
    unknown = normaliser.resolve("FOOBAR:x-1.2")
    assert [(c.id, c.type) for c in unknown] == [("FOOBAR:x-1.2", "")]


def test_genes_are_human_first_unless_the_text_is_about_mice_or_rats(normaliser):
    from litgraph.normalise.normaliser import species_of

    assert species_of("IL-10 deficient mice were crossed with mice lacking ...") == "mouse"
    assert species_of("In rats, and in a murine model, rats were ...") == "rat"
    assert species_of("Patients with IL-10 polymorphisms and healthy mice") == "human"
    human, _ = normaliser.normalise_mention("IL-10", "Gene")
    assert human == ["NCBIGene:3586"] and "HGNC:5962" in normaliser.concept(human[0]).xrefs
    mouse, _ = normaliser.normalise_mention("IL-10", "Gene", context="IL-10 knockout mice; in these mice the colon ...")
    assert mouse and mouse != human
    assert not any(x.startswith("HGNC:") for x in normaliser.concept(mouse[0]).xrefs)
    assert normaliser.index.species[normaliser.index.ids.index(mouse[0])] == 2  # tagged "mouse" from train documents


def test_genes_have_the_protein_names_of_mesh(normaliser):
    # BioRED dev mentions that HGNC's symbols and official names do not reach: MeSH names them, through the
    # supplementary concept "NKX2-1 protein, human" or a heading that only one gene's protein concepts map to
    for text, gene in (("Thyroid Transcription Factor-1", "NCBIGene:7080"),  # NKX2-1
                       ("mineralocorticoid receptor", "NCBIGene:4306"),  # NR3C2: Receptors, Mineralocorticoid
                       ("insulin", "NCBIGene:3630"),  # INS
                       ("von Willebrand factor", "NCBIGene:7450")):  # VWF
        assert normaliser.normalise_mention(text, "Gene")[0] == [gene], text
    assert normaliser.normalise_mention("insulin", "Chemical")[0] == ["MESH:D007328"]  # the hormone stays a chemical
    # a heading that the protein concepts of several genes map to names none of them
    assert normaliser.normalise_mention("creatine kinase", "Gene")[0] != ["NCBIGene:1152"]
    # they are names for normalisation, not for the tagger's dictionary feature (the shipped tagger never saw them)
    lexicon = normaliser.index.lexicon
    assert "paget disease of bone 3" not in lexicon or not lexicon["paget disease of bone 3"] & 4
    assert lexicon.get("mineralocorticoid receptor", 0) & 4 == 0
