"""``litgraph fetch`` and the fetch layer on files, folders and a local E-utilities server."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from litgraph.connectors.bioc import read_bioc_xml
from litgraph.connectors.pubtator import parse_pubtator
from litgraph import fetch
from litgraph.cli import main
from litgraph.errors import InputError
from litgraph.records import Deletion, Document, from_json, to_json


def run(*args, env=None):
    result = CliRunner().invoke(main, ["fetch", "--no-progress", *args], env=env, catch_exceptions=False)
    return result


def records_of(text):
    return [from_json(line) for line in text.splitlines() if line.strip()]


def test_fetch_baseline_gives_30_documents(samples_dir):
    result = run(str(samples_dir / "baseline/pubmed26n1334.xml.gz"), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = records_of(result.stdout)
    assert len(records) == 30 and all(isinstance(r, Document) for r in records)
    assert "30 documents, 0 deletions" in result.stderr


def test_fetch_update_gives_30_documents_and_6_deletions(samples_dir, tmp_path):
    out = tmp_path / "out" / "update.jsonl"
    result = run(str(samples_dir / "updatefiles/pubmed26n1335.xml.gz"), "--out", str(out))
    assert result.exit_code == 0, result.output
    records = records_of(out.read_text())
    assert sum(isinstance(r, Document) for r in records) == 30
    assert sum(isinstance(r, Deletion) for r in records) == 6
    assert sorted(p.name for p in out.parent.iterdir()) == ["update.jsonl"]  # no .part left


def test_fetch_output_is_a_source_again(samples_dir, tmp_path, settings):
    out = tmp_path / "update.jsonl"
    assert run(str(samples_dir / "updatefiles/pubmed26n1335.xml.gz"), "--out", str(out)).exit_code == 0
    original = list(fetch.iter_records(str(samples_dir / "updatefiles/pubmed26n1335.xml.gz"), settings, progress=False))
    assert list(fetch.iter_records(str(out), settings, progress=False)) == original
    long_line = tmp_path / "long.jsonl"  # one record longer than the format sniffer's first read
    long_doc = Document(pmid="1", title="Long", abstract="word " * 5000)
    long_line.write_text(to_json(long_doc) + "\n")
    assert list(fetch.iter_records(str(long_line), settings, progress=False)) == [long_doc]
    broken = tmp_path / "broken.jsonl"
    broken.write_text(out.read_text().splitlines()[0] + "\n{\"pmid\": \"1\", \"colour\": 2}\n")
    with pytest.raises(InputError, match="line 2"):
        list(fetch.iter_records(str(broken), settings, progress=False))


def test_folder_reads_files_in_name_order(samples_dir, tmp_path, settings):
    folder = tmp_path / "pubmed"
    folder.mkdir()
    for path in (samples_dir / "updatefiles").iterdir():
        shutil.copy(path, folder)
    for path in (samples_dir / "baseline").iterdir():
        shutil.copy(path, folder)
    (folder / "README.txt").write_text("not data")
    assert [p.name for p in fetch.source_files(str(folder))] == ["pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz"]
    assert fetch.shards(str(folder), settings) == [str(folder / "pubmed26n1334.xml.gz"), str(folder / "pubmed26n1335.xml.gz")]
    records = list(fetch.iter_records(str(folder), settings, progress=False))
    assert len(records) == 66
    assert records[0].source.endswith("pubmed26n1334.xml.gz") and isinstance(records[-1], Deletion)


def test_corrupt_input_exits_2_and_writes_nothing(samples_dir, tmp_path):
    data = (samples_dir / "baseline/pubmed26n1334.xml.gz").read_bytes()
    bad = tmp_path / "pubmed26n9999.xml.gz"
    bad.write_bytes(data[: len(data) // 3])
    out = tmp_path / "docs.jsonl"
    result = run(str(bad), "--out", str(out))
    assert result.exit_code == 2
    assert f"{bad}: corrupt or truncated gzip data" in result.stderr and "download the file again" in result.stderr
    assert not out.exists() and not (tmp_path / "docs.jsonl.part").exists()
    unknown = run("nonsense:source")
    assert unknown.exit_code == 2 and "is not a source" in unknown.stderr


def test_pubtator_and_bioc_output(data_dir, tmp_path):
    source = str(data_dir / "biored/Dev.PubTator")
    pubtator = run(source, "--format", "pubtator")
    assert pubtator.exit_code == 0
    docs = list(parse_pubtator(pubtator.stdout.splitlines(keepends=True), "stdout"))
    assert len(docs) == 100 and sum(len(d.mentions) for d in docs) == 3533
    out = tmp_path / "dev.bioc.xml"
    assert run(source, "--format", "bioc", "--out", str(out)).exit_code == 0
    back = list(read_bioc_xml(out))
    assert [(d.pmid, len(d.mentions), len(d.relations)) for d in back] == [(d.pmid, len(d.mentions), len(d.relations)) for d in docs]


def test_deletions_cannot_be_written_as_pubtator(samples_dir):
    result = run(str(samples_dir / "updatefiles/pubmed26n1335.xml.gz"), "--format", "pubtator")
    assert result.exit_code == 0 and result.stdout.count("|t|") == 30


@pytest.fixture()
def online_env(eutils_server):
    return {"LITGRAPH_EUTILS_URL": eutils_server.url, "NCBI_API_KEY": "cli-secret-key", "NCBI_EMAIL": "dev@example.org",
            "LITGRAPH_EUTILS_BATCH": "10"}


def test_fetch_query_from_eutils(eutils_server, online_env, sample_articles):
    result = run("pubmed:all[sb]", env=online_env)
    assert result.exit_code == 0, result.stderr
    assert sorted(r.pmid for r in records_of(result.stdout)) == sorted(sample_articles)
    assert "cli-secret-key" not in result.stderr + result.stdout  # the API key is never printed


def test_interrupted_fetch_resumes_into_the_same_output(eutils_server, online_env, sample_articles, tmp_path):
    out = tmp_path / "query.jsonl"
    eutils_server.efetch_limit = 3  # the fourth efetch is refused: the run stops with exit code 2
    first = run("pubmed:all[sb]", "--out", str(out), env=online_env)
    assert first.exit_code == 2 and "run the same command to resume" in first.stderr
    part, cursor = tmp_path / "query.jsonl.part", tmp_path / "query.jsonl.cursor"
    assert not out.exists() and part.exists() and cursor.exists()
    assert len(part.read_text().splitlines()) == 30
    eutils_server.efetch_limit = None
    eutils_server.requests.clear()
    second = run("pubmed:all[sb]", "--out", str(out), env=online_env)
    assert second.exit_code == 0, second.stderr
    pmids = [r.pmid for r in records_of(out.read_text())]
    assert sorted(pmids) == sorted(sample_articles)  # every record exactly once
    assert eutils_server.count("efetch") == 4  # only the missing batches were fetched
    assert not part.exists() and not cursor.exists()


@pytest.mark.parametrize("name,documents", [
    ("pubmed_samples/medline/pubmed_result2.txt", 4),
    ("pubmed_samples/entrez/pubmed2.xml", 2),
    ("biored/Dev.BioC.JSON", 100),
    ("bc5cdr/CDR_DevelopmentSet.BioC.xml", 500),
    ("ncbi_disease/NCBIdevelopset_corpus.txt", 100),
])
def test_every_file_format_is_recognised(data_dir, settings, name, documents):
    records = list(fetch.iter_records(str(data_dir / name), settings, progress=False))
    assert len(records) == documents and all(isinstance(r, Document) and r.title for r in records)


def test_unknown_xml_is_refused(samples_dir, settings):
    with pytest.raises(InputError, match="root <eSearchResult> is neither PubMed XML nor BioC"):
        list(fetch.iter_records(str(samples_dir / "entrez/esearch1.xml"), settings, progress=False))
