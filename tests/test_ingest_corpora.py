"""Annotated corpora: every PubTator / BioC file of the shared data parses with its README counts,
BioC equals PubTator, and PubTator -> BioC -> PubTator round trips unchanged."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from litgraph.fetch.formats import read_file, sniff
from litgraph.connectors.bioc import read_bioc_json, read_bioc_xml, write_bioc_json, write_bioc_xml
from litgraph.connectors.pubtator import parse_pubtator, read_pubtator, write_pubtator
from litgraph.errors import InputError

# file -> (docs, distinct PMIDs, mentions, relations), from the data README
COUNTS = {
    "bc5cdr/CDR_TrainingSet.PubTator.txt": (500, 500, 9385, 1038),
    "bc5cdr/CDR_DevelopmentSet.PubTator.txt": (500, 500, 9591, 1012),
    "bc5cdr/CDR_TrainingSet.BioC.xml": (500, 500, 9385, 1038),
    "bc5cdr/CDR_DevelopmentSet.BioC.xml": (500, 500, 9591, 1012),
    "biored/Train.PubTator": (400, 400, 13351, 4178),
    "biored/Dev.PubTator": (100, 100, 3533, 1162),
    "biored/Train.BioC.XML": (400, 400, 13351, 4178),
    "biored/Dev.BioC.XML": (100, 100, 3533, 1162),
    "biored/Dev.BioC.JSON": (100, 100, 3533, 1162),
    "ncbi_disease/NCBItrainset_corpus.txt": (593, 592, 5145, 0),
    "ncbi_disease/NCBIdevelopset_corpus.txt": (100, 100, 787, 0),
}


def content(docs):
    """Everything PubTator can hold, per document."""
    return [
        (d.pmid, d.title, d.abstract,
         [(m.start, m.end, m.text, m.type, m.ids, m.source_type, m.composite) for m in d.mentions],
         [(r.type, r.subject, r.object, r.novel) for r in d.relations])
        for d in docs
    ]


@pytest.fixture(scope="module")
def parsed(data_dir):
    return {name: list(read_file(data_dir / name)) for name in COUNTS}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_every_corpus_file_has_its_readme_counts(parsed, name):
    docs = parsed[name]
    n_docs, n_pmids, n_mentions, n_relations = COUNTS[name]
    assert len(docs) == n_docs
    assert len({d.pmid for d in docs}) == n_pmids
    assert sum(len(d.mentions) for d in docs) == n_mentions
    assert sum(len(d.relations) for d in docs) == n_relations
    for d in docs:  # offsets index title + " " + abstract
        for m in d.mentions:
            assert d.text[m.start:m.end] == m.text


def test_type_and_quirk_counts(parsed):
    cdr = parsed["bc5cdr/CDR_TrainingSet.PubTator.txt"]
    mentions = [m for d in cdr for m in d.mentions]
    assert Counter(m.type for m in mentions) == {"Chemical": 5203, "Disease": 4182}
    assert sum(1 for m in mentions if not m.ids) == 76  # "-1": not normalised
    assert sum(1 for m in mentions if m.composite) == 89  # 7th column (18 more lines end in an empty one)
    assert sum(1 for m in mentions if len(m.ids) > 1 and not m.composite) == 9  # one span, two concepts
    assert all(i.startswith("MESH:") for m in mentions for i in m.ids)
    biored = [m for d in parsed["biored/Dev.PubTator"] for m in d.mentions]
    assert Counter(m.source_type for m in biored) == {
        "GeneOrGeneProduct": 1087, "DiseaseOrPhenotypicFeature": 982, "ChemicalEntity": 822,
        "OrganismTaxon": 370, "SequenceVariant": 250, "CellLine": 22,
    }
    assert sum(1 for m in biored if not m.ids) == 20  # "-"
    relations = [r for d in parsed["biored/Dev.PubTator"] for r in d.relations]
    assert Counter(r.novel for r in relations) == {True: 835, False: 327}
    variant_ids = {i for m in biored if m.type == "Variant" for i in m.ids}
    assert any("|" in i for i in variant_ids)  # never split on "|"
    train = [m for d in parsed["biored/Train.PubTator"] for m in d.mentions]
    assert "Cellosaurus:CVCL_1452" in {i for m in train for i in m.ids}  # leading space stripped
    ncbi = parsed["ncbi_disease/NCBItrainset_corpus.txt"]
    assert [d.pmid for d in ncbi].count("8528200") == 2
    quirk = next(m for d in ncbi if d.pmid == "10923035" for m in d.mentions if m.start == 711)
    assert quirk.text == 'generalized epilepsy and febrile seizures " plus "'  # text from the offsets


def test_composite_mentions_keep_their_parts(parsed):
    pubtator = {d.pmid: d for d in parsed["bc5cdr/CDR_TrainingSet.PubTator.txt"]}
    composite = next(m for m in pubtator["2234245"].mentions if m.start == 0)
    assert composite.ids == ["MESH:D014786", "MESH:D006311"]
    assert composite.composite == ["Ocular toxicity", "auditory toxicity"]


@pytest.mark.parametrize("pubtator,bioc", [
    ("bc5cdr/CDR_TrainingSet.PubTator.txt", "bc5cdr/CDR_TrainingSet.BioC.xml"),
    ("bc5cdr/CDR_DevelopmentSet.PubTator.txt", "bc5cdr/CDR_DevelopmentSet.BioC.xml"),
    ("biored/Train.PubTator", "biored/Train.BioC.XML"),
    ("biored/Dev.PubTator", "biored/Dev.BioC.XML"),
    ("biored/Dev.PubTator", "biored/Dev.BioC.JSON"),
])
def test_bioc_equals_pubtator(parsed, pubtator, bioc):
    """IndividualMention annotations (discontinuous in BC5CDR) fold into their composite mention."""
    assert content(parsed[bioc]) == content(parsed[pubtator])


@pytest.mark.parametrize("name", [
    "bc5cdr/CDR_TrainingSet.PubTator.txt", "biored/Train.PubTator", "ncbi_disease/NCBItrainset_corpus.txt",
])
def test_pubtator_bioc_pubtator_round_trip(parsed, tmp_path, name):
    docs = parsed[name]
    with open(tmp_path / "c.xml", "wb") as handle:
        write_bioc_xml(docs, handle)
    with open(tmp_path / "c.json", "w", encoding="utf-8") as handle:
        write_bioc_json(docs, handle)
    for back in (list(read_bioc_xml(tmp_path / "c.xml")), list(read_bioc_json(tmp_path / "c.json"))):
        assert content(back) == content(docs)
        text = io.StringIO()
        write_pubtator(back, text)
        assert content(parse_pubtator(io.StringIO(text.getvalue()), "round-trip")) == content(docs)


def test_crlf_and_leading_blank_lines(data_dir, tmp_path):
    raw = (data_dir / "biored/Dev.PubTator").read_bytes()
    crlf = tmp_path / "crlf.PubTator"
    crlf.write_bytes(b"\r\n" + raw.replace(b"\n", b"\r\n"))
    assert content(read_pubtator(crlf)) == content(read_pubtator(data_dir / "biored/Dev.PubTator"))


def test_bad_offsets_name_file_pmid_and_line(tmp_path):
    bad = tmp_path / "bad.PubTator"
    bad.write_text("1|t|Aspirin works.\n1|a|It does.\n1\t0\t7\tAspirin\tChemical\tD001241\n1\t8\t99\tworks\tChemical\t-1\n\n")
    with pytest.raises(InputError) as err:
        list(read_pubtator(bad))
    assert str(bad) in str(err.value) and "line 4" in str(err.value) and "record 1" in str(err.value)
    shifted = tmp_path / "shifted.PubTator"
    shifted.write_text("1|t|Aspirin works.\n1|a|It does.\n1\t1\t8\tAspirin\tChemical\tD001241\n\n")
    with pytest.raises(InputError, match="line 3.*does not match"):
        list(read_pubtator(shifted))


BIOC = """<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE collection SYSTEM "{dtd}">
<collection><source>test</source><date>2025</date><key>BioC.key</key>
<document><id>42</id>
<passage><infon key="type">title</infon><offset>0</offset><text>Renal and hepatic failure.</text>
<annotation id="0"><infon key="type">Disease</infon><infon key="MESH">D051437</infon>
<location offset="0" length="5"/><location offset="18" length="7"/><text>Renal failure</text></annotation>
</passage>
<passage><infon key="type">abstract</infon><offset>27</offset><text>After aspirin.</text>
<annotation id="1"><infon key="type">Chemical</infon><infon key="MESH">D001241</infon>
<location offset="{offset}" length="7"/><text>aspirin</text></annotation></passage>
</document></collection>
"""


def test_bioc_dtd_is_never_fetched_and_discontinuous_locations(eutils_server, tmp_path):
    path = tmp_path / "doc.BioC.xml"
    path.write_text(BIOC.format(dtd=eutils_server.url + "BioC.dtd", offset=33), encoding="utf-8")
    assert sniff(path) == "bioc-xml"
    (doc,) = read_bioc_xml(path)
    assert eutils_server.requests == []  # the DTD named in the DOCTYPE was not requested
    renal, aspirin = doc.mentions
    assert (renal.start, renal.end, renal.ids) == (0, 25, ["MESH:D051437"])  # spans all its locations
    assert doc.text[aspirin.start:aspirin.end] == "aspirin" and aspirin.type == "Chemical"


def test_bioc_bad_location_is_an_input_error(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(BIOC.format(dtd="BioC.dtd", offset=30), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.xml, line \d+, record 42: mention text 'aspirin'"):
        list(read_bioc_xml(path))
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(BIOC.format(dtd="BioC.dtd", offset=33)[:500], encoding="utf-8")
    with pytest.raises(InputError, match="malformed BioC XML"):
        list(read_bioc_xml(truncated))
