"""PubMed XML (baseline, update, efetch samples) and MEDLINE text, including bad input."""

from __future__ import annotations

import gzip
import shutil

import pytest

from litgraph.connectors.medline import read_medline
from litgraph.connectors.pubmed_xml import check_md5, read_pubmed_xml
from litgraph.errors import InputError
from litgraph.records import Deletion, Document

DELETED = ["41456105", "41557076", "41616784", "41618748", "41618749", "41618779"]


def split(records):
    docs = [r for r in records if isinstance(r, Document)]
    return docs, [r for r in records if isinstance(r, Deletion)]


def test_baseline_sample(samples_dir):
    path = samples_dir / "baseline/pubmed26n1334.xml.gz"
    assert check_md5(path) is True
    docs, deletions = split(list(read_pubmed_xml(path)))
    assert len(docs) == 30 and deletions == []
    assert sum(1 for d in docs if d.abstract) == 27
    assert all(d.pmid.isdigit() and d.title and d.journal and d.year for d in docs)
    first = next(d for d in docs if d.pmid == "41576520")
    assert first.version == 1 and first.revised == "2026-01-23" and first.year == 2026
    assert first.journal == "Pediatric neurology" and first.doi == "10.1016/j.pediatrneurol.2025.12.024"
    assert [s.label for s in first.sections] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert first.sections[0].category == "BACKGROUND"
    for section in first.sections:  # labels are kept in the text, offsets point at them
        assert first.abstract[section.start:section.end].startswith(section.label + ": ")
    assert first.abstract.startswith("BACKGROUND: Pediatric chronic kidney disease")
    assert first.publication_types == ["Journal Article"]
    assert first.source == str(path)


def test_update_sample_has_deletions(samples_dir):
    path = samples_dir / "updatefiles/pubmed26n1335.xml.gz"
    docs, deletions = split(list(read_pubmed_xml(path)))
    assert len(docs) == 30
    assert [d.pmid for d in deletions] == DELETED
    assert sum(len(d.mesh_terms) for d in docs) > 0
    heading = next(m for d in docs for m in d.mesh_terms)
    assert heading.id.startswith("MESH:D") and heading.name


def test_efetch_samples_and_inline_markup(samples_dir):
    docs = [d for n in (1, 2, 4, 5, 6, 7) for d in read_pubmed_xml(samples_dir / f"entrez/pubmed{n}.xml")]
    assert len(docs) == 8
    by_pmid = {d.pmid: d for d in docs}
    assert by_pmid["12091962"].abstract == ""  # no Abstract element
    assert by_pmid["9997"].year == 1976
    major = [m for m in by_pmid["9997"].mesh_terms if m.major]
    assert major and all(m.id.startswith("MESH:") for m in major)
    mathml = by_pmid["29963580"]  # MathML inside AbstractText is flattened to text
    assert "<" not in mathml.abstract and "\n" not in mathml.abstract and len(mathml.abstract) > 200


RECORD = """<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="{version}">{pmid}</PMID>
<DateRevised><Year>2024</Year><Month>Mar</Month><Day>5</Day></DateRevised>
<Article><Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
<Title>Test journal</Title></Journal><ArticleTitle>A <i>retracted</i> study.</ArticleTitle>
<Abstract><AbstractText>Unstructured text.</AbstractText></Abstract>
<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>{extra_type}</PublicationTypeList>
</Article>{comments}</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="doi">10.1/x</ArticleId></ArticleIdList>
</PubmedData></PubmedArticle>"""


def write_set(path, *records, gz=True):
    body = ('<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" '
            '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">\n<PubmedArticleSet>'
            + "".join(records) + "</PubmedArticleSet>\n").encode()
    path.write_bytes(gzip.compress(body) if gz else body)
    return path


def record(pmid="100", version="1", extra_type="", comments=""):
    return RECORD.format(pmid=pmid, version=version, extra_type=extra_type, comments=comments)


def test_medline_date_version_and_retractions(tmp_path):
    path = write_set(
        tmp_path / "r.xml.gz",
        record("100", version="2", extra_type='<PublicationType UI="D016441">Retracted Publication</PublicationType>'),
        record("101", comments='<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn"><RefSource>X</RefSource>'
                               '<PMID Version="1">5</PMID></CommentsCorrections></CommentsCorrectionsList>'),
        record("102"),
    )
    docs = list(read_pubmed_xml(path))
    assert [(d.pmid, d.version, d.retracted) for d in docs] == [("100", 2, True), ("101", 1, True), ("102", 1, False)]
    assert {d.year for d in docs} == {1998} and docs[0].revised == "2024-03-05"
    assert docs[0].title == "A retracted study." and docs[0].doi == "10.1/x" and docs[0].sections == []


def test_a_bad_record_is_reported_not_dropped_silently(tmp_path, caplog):
    path = write_set(tmp_path / "r.xml.gz", record("100"), record("200", version="x"), record("300"))
    failures = []
    docs = list(read_pubmed_xml(path, on_error=lambda pmid, reason: failures.append((pmid, reason))))
    assert [d.pmid for d in docs] == ["100", "300"]
    assert failures == [("200", "PMID Version 'x' is not a number")]
    assert "PMID 200" in caplog.text


def test_md5_mismatch(samples_dir, tmp_path):
    copy = tmp_path / "pubmed26n1334.xml.gz"
    shutil.copy(samples_dir / "baseline/pubmed26n1334.xml.gz", copy)
    (tmp_path / "pubmed26n1334.xml.gz.md5").write_text("MD5(pubmed26n1334.xml.gz)= 00000000000000000000000000000000\n")
    with pytest.raises(InputError, match=r"pubmed26n1334.xml.gz: MD5 mismatch .* download it again"):
        next(read_pubmed_xml(copy))


def test_truncated_gzip(samples_dir, tmp_path):
    data = (samples_dir / "baseline/pubmed26n1334.xml.gz").read_bytes()
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.xml.gz: corrupt or truncated gzip data after PMID \d+"):
        list(read_pubmed_xml(cut))


def test_malformed_xml_names_the_line(tmp_path):
    path = write_set(tmp_path / "m.xml", record("100"), "<PubmedArticle><MedlineCitation>\n<oops></PubmedArticle>", gz=False)
    with pytest.raises(InputError, match=r"m.xml, line \d+: malformed XML after PMID 100"):
        list(read_pubmed_xml(path))


def test_error_page_instead_of_pubmed_xml(samples_dir, tmp_path):
    page = tmp_path / "efetch.xml"
    page.write_text('<?xml version="1.0"?>\n<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>\n')
    with pytest.raises(InputError, match="answered with an error instead of PubMed XML: Empty id list"):
        list(read_pubmed_xml(page))
    with pytest.raises(InputError, match="malformed XML"):
        list(read_pubmed_xml(samples_dir / "entrez/einfo4.xml"))  # truncated E-utilities answer


def test_medline_records(samples_dir):
    counts = {f"pubmed_result{n}.txt": len(list(read_medline(samples_dir / f"medline/pubmed_result{n}.txt"))) for n in (1, 2, 3)}
    assert counts == {"pubmed_result1.txt": 1, "pubmed_result2.txt": 4, "pubmed_result3.txt": 1}
    doc = next(d for d in read_medline(samples_dir / "medline/pubmed_result2.txt") if d.pmid == "16403221")
    assert doc.year == 2006 and doc.journal == "BMC bioinformatics" and doc.doi == "10.1186/1471-2105-7-10"
    assert [s.label for s in doc.sections] == ["BACKGROUND", "RESULTS", "CONCLUSION"]
    assert doc.abstract[doc.sections[1].start:].startswith("RESULTS: ")
    assert any(m.major and m.name == "Databases, Protein" for m in doc.mesh_terms)
