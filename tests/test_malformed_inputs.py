"""Malformed inputs, settings and targets through the readers and the command line.

Every case asserts the exit code (2 bad input, 1 environment or server), that the message names the
place (file, line, record or setting) without a traceback, and, where a graph is involved, that the
graph is unchanged. Inputs are small and inline; the graph is a real embedded store.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from litgraph.cli import main
from litgraph.fetch.corpora import load_corpus
from litgraph.settings import Settings


@pytest.fixture(scope="module")
def small_docs(data_dir):
    """Ten gold-annotated BC5CDR dev abstracts."""
    return load_corpus("bc5cdr:dev", Settings.from_env(corpora=str(data_dir)))[:10]


@pytest.fixture()
def graph(small_docs, tmp_path) -> Path:
    """A real embedded graph folder holding ``small_docs`` (closed, so the CLI can open it)."""
    from litgraph.store import open_store

    folder = tmp_path / "graph"
    with open_store(Settings.from_env(graph=str(folder))) as store:
        store.upsert_documents(small_docs)
    return folder


def snapshot(folder: Path) -> dict:
    """Every file of a folder with its size and content hash (the graph is unchanged iff this is)."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(*args, env: dict | None = None, cwd: Path | None = None):
    """Invoke the CLI in-process; returns the click Result (stderr mixed into output)."""
    runner = CliRunner()
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return runner.invoke(main, list(args), env=env, catch_exceptions=True)
    finally:
        os.chdir(old)


def assert_clean_error(result, code: int, *needles: str) -> None:
    """Exit ``code``, a ``litgraph: error:`` message containing every needle, and no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "litgraph: error:" in result.output, result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


# ---------------------------------------------------------------------------------------------- export


def test_export_refuses_a_non_empty_folder_and_keeps_its_files(graph, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    for fmt in ("csv", "parquet", "neo4j-import"):
        assert_clean_error(run("export", "--format", fmt, "--out", str(out), "--graph", str(graph)), 2, str(out), "not empty")
    assert (out / "thesis.docx").read_text() == "years of work"
    # --force replaces only litgraph's own outputs: a folder with other files is still refused
    result = run("export", "--format", "csv", "--out", str(out), "--graph", str(graph), "--force")
    assert_clean_error(result, 2, str(out), "not a litgraph export")
    assert sorted(p.name for p in out.iterdir()) == ["thesis.docx"]


def test_export_never_writes_the_current_folder_or_the_graph(graph, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("keep me")
    before = snapshot(graph)
    for out in (".", str(work), str(tmp_path)):
        for force in ((), ("--force",)):
            result = run("export", "--format", "csv", "--out", out, "--graph", str(graph), *force, cwd=work)
            assert_clean_error(result, 2, "current folder")
    for out in (graph, graph / "sub", graph.parent):
        for fmt in ("csv", "graphml"):
            result = run("export", "--format", fmt, "--out", str(out), "--graph", str(graph), "--force", cwd=work)
            assert result.exit_code == 2 and "Traceback" not in result.output, result.output
            assert "graph" in result.output
    assert (work / "notes.txt").read_text() == "keep me"
    assert snapshot(graph) == before
    assert not (graph / "sub").exists()


def test_export_to_new_and_empty_paths_and_force_over_an_earlier_export(graph, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("export", "--format", "csv", "--out", str(empty), "--graph", str(graph)).exit_code == 0
    assert (empty / "nodes" / "Article.csv").is_file()
    # the same again is refused without --force, accepted with it, and the earlier files are replaced
    assert_clean_error(run("export", "--format", "csv", "--out", str(empty), "--graph", str(graph)), 2, "--force")
    assert run("export", "--format", "csv", "--out", str(empty), "--graph", str(graph), "--force").exit_code == 0
    assert sorted(p.name for p in empty.iterdir()) == ["edges", "nodes"]
    n4j = tmp_path / "n4j"
    assert run("export", "--format", "neo4j-import", "--out", str(n4j), "--graph", str(graph)).exit_code == 0
    assert run("export", "--format", "neo4j-import", "--out", str(n4j), "--graph", str(graph), "--force").exit_code == 0
    assert (n4j / "import.sh").is_file()
    # a csv export is not a place for a neo4j-import one to mix in, but both are litgraph's: --force replaces
    assert run("export", "--format", "parquet", "--out", str(n4j), "--graph", str(graph), "--force").exit_code == 0
    assert sorted(p.name for p in n4j.iterdir()) == ["edges", "nodes"]
    # GraphML: an existing file is replaced only with --force and only when it is a litgraph GraphML
    g = tmp_path / "g.graphml"
    assert run("export", "--format", "graphml", "--out", str(g), "--graph", str(graph)).exit_code == 0
    assert_clean_error(run("export", "--format", "graphml", "--out", str(g), "--graph", str(graph)), 2, str(g))
    assert run("export", "--format", "graphml", "--out", str(g), "--graph", str(graph), "--force").exit_code == 0
    other = tmp_path / "paper.txt"
    other.write_text("not graphml")
    result = run("export", "--format", "graphml", "--out", str(other), "--graph", str(graph), "--force")
    assert_clean_error(result, 2, str(other), "not a litgraph GraphML")
    assert other.read_text() == "not graphml"


def test_export_to_an_unwritable_place_is_a_clean_error(graph, tmp_path):
    for out in ("/proc/litgraph-export", "/proc/self/litgraph/x"):
        result = run("export", "--format", "csv", "--out", out, "--graph", str(graph))
        assert_clean_error(result, 2, out.rsplit("/", 1)[0], "writable folder")
    result = run("export", "--format", "graphml", "--out", "/proc/litgraph.graphml", "--graph", str(graph))
    assert_clean_error(result, 2, "/proc/litgraph.graphml")


# ---------------------------------------------------------------------------------------------- record identity


@pytest.fixture()
def psettings(pipeline_settings):
    """A fresh graph with the session's normalisation index."""
    return pipeline_settings


def graph_ids(settings, pmid: str) -> set[str]:
    from litgraph.store import open_store

    with open_store(settings, read_only=True) as store:
        rows = store.run_cypher("MATCH (a:Article {pmid: $p})-[:MENTIONS]->(e) RETURN e.id AS id", {"p": pmid})
    return {r["id"] for r in rows}


def test_corrected_annotations_are_loaded_again(psettings, tmp_path):
    from litgraph.pipeline import build

    source = tmp_path / "a.pubtator"
    text = "11|t|Lithium and tremor.\n11|a|Lithium was stopped.\n11\t0\t7\tLithium\tChemical\t{id}\n\n"
    source.write_text(text.format(id="D008094"), encoding="utf-8")
    build([str(source)], psettings, annotated=True, progress=False)
    assert graph_ids(psettings, "11") == {"MESH:D008094"}
    source.write_text(text.format(id="D008095"), encoding="utf-8")  # the corrected id
    report = build([str(source)], psettings, annotated=True, progress=False)
    assert (report.articles_loaded, report.articles_unchanged) == (1, 0)
    assert graph_ids(psettings, "11") == {"MESH:D008095"}


def test_biored_after_bc5cdr_loads_biored_annotations_of_the_shared_pmids(psettings, tmp_path, data_dir):
    from litgraph.connectors.pubtator import write_pubtator
    from litgraph.pipeline import build

    settings = Settings.from_env(corpora=str(data_dir))
    cdr = {d.pmid: d for d in load_corpus("bc5cdr:train", settings)}
    biored = {d.pmid: d for d in load_corpus("biored:train", settings)}
    shared = sorted(set(cdr) & set(biored))
    assert len(shared) == 41
    for name, corpus in (("cdr", cdr), ("biored", biored)):
        with open(tmp_path / f"{name}.pubtator", "w", encoding="utf-8") as out:
            write_pubtator([corpus[p] for p in shared], out)
    build([str(tmp_path / "cdr.pubtator")], psettings, annotated=True, progress=False)
    report = build([str(tmp_path / "biored.pubtator")], psettings, annotated=True, progress=False)
    assert (report.articles_loaded, report.failures) == (41, [])
    for pmid in shared:
        assert graph_ids(psettings, pmid) == {i for m in biored[pmid].mentions for i in m.ids}, pmid


def test_title_only_and_empty_records_never_replace_a_full_article(psettings, tmp_path):
    from litgraph.pipeline import build
    from tests.fixtures.pipeline import graph_snapshot

    full = tmp_path / "full.pubtator"
    full.write_text("21|t|Lithium and tremor.\n21|a|Lithium was stopped.\n21\t0\t7\tLithium\tChemical\tD008094\n\n",
                    encoding="utf-8")
    build([str(full)], psettings, annotated=True, progress=False)
    before = graph_snapshot(psettings)
    title_only = tmp_path / "title.pubtator"
    title_only.write_text("21|t|Lithium and tremor.\n21|a|\n\n", encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"source": "x", "documents": [{"id": "21", "passages": []}]}), encoding="utf-8")
    for path in (title_only, empty):
        report = build([str(path)], psettings, annotated=True, progress=False)
        assert [(f.pmid, f.stage) for f in report.failures] == [("21", "fetch")], report.failures
        assert "abstract" in report.failures[0].reason and report.articles_loaded == 0
    assert graph_snapshot(psettings) == before


# ---------------------------------------------------------------------------------------------- half-loaded files


def _stats(graph: Path, env: dict) -> dict:
    result = run("stats", "--graph", str(graph), "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _truncated_gzip(samples_dir: Path, path: Path) -> Path:
    data = gzip.decompress((samples_dir / "baseline" / "pubmed26n1334.xml.gz").read_bytes())
    path.write_bytes(gzip.compress(data)[: len(gzip.compress(data)) // 2])
    return path


def _bad_jsonl(samples_dir: Path, path: Path) -> Path:
    from litgraph.connectors.pubmed_xml import read_pubmed_xml
    from litgraph.records import to_json

    docs = list(read_pubmed_xml(samples_dir / "baseline" / "pubmed26n1334.xml.gz"))[:5]
    lines = [to_json(d) for d in docs]
    lines.insert(3, "[1, 2]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("make, kept", [(_truncated_gzip, None), (_bad_jsonl, 3)], ids=["truncated-gzip", "bad-jsonl-line"])
def test_a_file_that_breaks_midway_keeps_its_records_before_the_fault_and_is_shown_failed(
        make, kept, psettings, samples_dir, tmp_path):
    env = {"LITGRAPH_MODELS": str(psettings.models), "LITGRAPH_CORPORA": str(psettings.corpora)}
    source = make(samples_dir, tmp_path / ("bad.xml.gz" if make is _truncated_gzip else "bad.jsonl"))
    result = run("build", str(source), "--annotated", "--graph", psettings.graph, "--batch-size", "2", "--no-progress",
                 env=env)
    assert_clean_error(result, 2, str(source))
    stats = _stats(Path(psettings.graph), env)
    [failed] = stats["failed_units"]
    assert failed["unit"] == str(source.resolve()) and str(source) in failed["reason"]
    assert stats["articles"] == failed["records_kept"] > 0
    if kept is not None:
        assert stats["articles"] == kept
    text = run("stats", "--graph", psettings.graph, env=env)
    assert "FAILED unit" in text.output and str(source) in text.output
    # running again without a fix fails at the same place and changes nothing
    again = run("build", str(source), "--annotated", "--graph", psettings.graph, "--batch-size", "2", "--no-progress",
                env=env)
    assert again.exit_code == 2 and _stats(Path(psettings.graph), env) == stats
    # the fixed file is read again, completes, and the unit is no longer failed
    if make is _truncated_gzip:
        source.write_bytes((samples_dir / "baseline" / "pubmed26n1334.xml.gz").read_bytes())
    else:
        source.write_text("".join(line + "\n" for line in source.read_text().splitlines() if line != "[1, 2]"))
    fixed = run("build", str(source), "--annotated", "--graph", psettings.graph, "--no-progress", env=env)
    assert fixed.exit_code == 0, fixed.output
    assert "failed_units" not in _stats(Path(psettings.graph), env)


# ---------------------------------------------------------------------------------------------- readers during a build

_WRITER = r'''
import sys
from litgraph.fetch.corpora import load_corpus
from litgraph.settings import Settings
from litgraph.store import open_store

docs = load_corpus("bc5cdr:train", Settings.from_env())[:120]
with open_store(Settings.from_env(graph=sys.argv[1])) as store:
    print("open", flush=True)
    for i in range(0, len(docs), 8):
        store.upsert_documents(docs[i:i + 8])
'''


def test_stats_and_query_answer_while_another_process_writes_the_graph(tmp_path, data_dir):
    import subprocess
    import sys

    graph = tmp_path / "graph"
    env = {**os.environ, "LITGRAPH_CORPORA": str(data_dir)}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(graph)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert writer.stdout.readline().strip() == "open"
        counts, answers = [], 0
        while writer.poll() is None:
            result = run("stats", "--graph", str(graph), "--format", "json")
            assert result.exit_code == 0, result.output
            counts.append(json.loads(result.stdout)["articles"])
            result = run("query", "top-entities", "-p", "limit=2", "--graph", str(graph), "--format", "json")
            assert result.exit_code == 0, result.output
            answers += 1
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0
    assert answers >= 2 and counts == sorted(counts)  # each read sees a committed state, never going back
    assert json.loads(run("stats", "--graph", str(graph), "--format", "json").stdout)["articles"] == 120


# ---------------------------------------------------------------------------------------------- malformed files

_GOOD = "11|t|Lithium and tremor.\n11|a|Lithium was stopped.\n"


def _bioc(*docs) -> str:
    return json.dumps({"source": "test", "documents": list(docs)})


def _passage(**extra) -> dict:
    return {"offset": 0, "text": "Lithium and tremor.", **extra}


#: (case, file name, content, what the message must say besides the file name)
MALFORMED = [
    ("pubtator-pmid-word", "a.pubtator", _GOOD.replace("11|", "NOTAPMID|"), "line 1: PMID 'NOTAPMID'"),
    ("pubtator-pmid-empty", "a.pubtator", "|t|Title\n|a|Abstract\n\n", "line 1: PMID ''"),
    ("pubtator-pmid-sql", "a.pubtator", _GOOD.replace("11|", "'; DROP TABLE Article;--|"), "line 1: PMID \"'; DROP TABLE"),
    ("pubtator-4-column-mention", "a.pubtator", _GOOD + "11\t34\t41\tLithium\n\n", "line 3, record 11: mention line with 4 columns"),
    ("pubtator-mention-without-ids", "a.pubtator", _GOOD + "11\t0\t7\tLithium\tChemical\n\n", "mention line with 5 columns"),
    ("pubtator-offsets-outside", "a.pubtator", _GOOD + "11\t0\t700\tLithium\tChemical\tD008094\n\n", "line 3, record 11: offsets 0-700"),
    ("pubtator-negative-offset", "a.pubtator", _GOOD + "11\t-3\t7\tLithium\tChemical\tD008094\n\n", "offsets -3-7"),
    ("pubtator-relation-type-number", "a.pubtator", _GOOD + "11\t34\tD1\tD2\n\n", "line 3, record 11: neither a mention line"),
    ("pubtator-latin-1", "a.pubtator", "11|t|Caf\xe9 and tremor.\n11|a|x\n\n".encode("latin-1"), "not UTF-8"),
    ("random-bytes", "a.dat", bytes(range(128, 256)) * 8, "not UTF-8"),
    ("bioc-documents-not-a-list", "a.json", json.dumps({"documents": {"id": "11"}}), "'documents' list"),
    ("bioc-document-a-number", "a.json", _bioc(5), "a document is a int"),
    ("bioc-passages-a-string", "a.json", _bioc({"id": "11", "passages": "x"}), "record 11: malformed BioC document"),
    ("bioc-annotations-a-dict", "a.json", _bioc({"id": "11", "passages": [_passage(annotations={"a": 1})]}), "'annotations' of a passage"),
    ("bioc-offset-missing", "a.json", _bioc({"id": "11", "passages": [{"text": "x"}]}), "missing 'offset'"),
    ("bioc-offset-null", "a.json", _bioc({"id": "11", "passages": [_passage(offset=None)]}), "passage offset None"),
    ("bioc-offset-zero-word", "a.json", _bioc({"id": "11", "passages": [_passage(offset="zero")]}), "passage offset 'zero'"),
    ("bioc-text-a-number", "a.json", _bioc({"id": "11", "passages": [_passage(text=5)]}), "passage text must be text"),
    ("bioc-location-null", "a.json", _bioc({"id": "11", "passages": [_passage(annotations=[
        {"id": "1", "infons": {"type": "Chemical", "identifier": "D008094"}, "locations": [{"offset": None, "length": 7}]}])]}),
     "location offset None"),
    ("bioc-offset-outside", "a.json", _bioc({"id": "11", "passages": [_passage(annotations=[
        {"id": "1", "infons": {"type": "Chemical", "identifier": "D008094"}, "text": "Lithium",
         "locations": [{"offset": 90, "length": 7}]}])]}), "record 11: offsets 90-97"),
    ("bioc-json-latin-1", "a.json", '{"documents": [{"id": "11", "passages": [{"offset": 0, "text": "Caf\xe9"}]}]}'.encode("latin-1"),
     "not UTF-8"),
    ("bioc-xml-offset-word", "a.xml", "<?xml version='1.0'?><collection><document><id>11</id><passage><offset>zero</offset>"
     "<text>Lithium</text></passage></document></collection>", "record 11: a passage offset"),
    ("json-holding-5", "a.json", "5", "a JSON int, not records"),
    # (a bad line after good ones: see the half-loaded files tests above)
    ("jsonl-null-line", "a.jsonl", '\nnull\n{"pmid": "11", "title": "T", "abstract": "A"}\n', "line 2: not a litgraph record"),
    ("jsonl-list-line", "a.jsonl", '[1,2]\n{"pmid": "11", "title": "T", "abstract": "A"}\n', "line 1: not a litgraph record"),
    ("jsonl-pmid-a-number", "a.jsonl", '{"pmid": 11, "title": "T", "abstract": "A"}\n', "line 1: PMID 11 is not"),
    ("jsonl-impossible-year", "a.jsonl", '{"pmid": "11", "title": "T", "abstract": "A", "year": 99999}\n', "line 1: year 99999"),
    ("jsonl-impossible-date", "a.jsonl", '{"pmid": "11", "title": "T", "abstract": "A", "revised": "2020-02-30"}\n',
     "line 1: revision date '2020-02-30'"),
    ("jsonl-offsets-outside", "a.jsonl", '{"pmid": "11", "title": "T", "abstract": "A", "mentions": [{"doc_id": "11", '
     '"start": 0, "end": 99, "text": "x", "type": "Chemical"}]}\n', "line 1: mention 'x': offsets 0-99"),
    ("pubmed-xml-utf-16", "a.xml", "<?xml version='1.0' encoding='UTF-16'?><PubmedArticleSet/>".encode("utf-16"), "UTF-16"),
    ("random-bytes-named-xml-gz", "a.xml.gz", bytes(range(256)) * 4, "not gzip data"),
    ("empty-xml-gz", "a.xml.gz", b"", "the file is empty"),
    ("medline-latin-1", "a.txt", "PMID- 11\nTI  - Caf\xe9\nAB  - x\n".encode("latin-1"), "not UTF-8"),
]


@pytest.mark.parametrize("case, name, content, needle", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_are_clean_errors_and_leave_the_graph_unchanged(case, name, content, needle, graph, tmp_path):
    from tests.fixtures.pipeline import graph_snapshot

    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    assert_clean_error(run("fetch", str(path)), 2, str(path), needle)
    settings = Settings.from_env(graph=str(graph))
    before = graph_snapshot(settings)
    result = run("build", str(path), "--annotated", "--graph", str(graph), "--no-progress")
    assert_clean_error(result, 2, str(path), needle)
    assert graph_snapshot(settings) == before


def test_bad_records_inside_a_pubmed_file_are_skipped_and_reported(tmp_path):
    path = tmp_path / "a.xml"
    path.write_text(
        "<?xml version='1.0'?><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version='1'>11</PMID><DateRevised>"
        "<Year>2025</Year><Month>02</Month><Day>30</Day></DateRevised><Article><ArticleTitle>T</ArticleTitle><Abstract>"
        "<AbstractText>A</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>"
        "<DeleteCitation><PMID>abc</PMID></DeleteCitation></PubmedArticleSet>", encoding="utf-8")
    result = run("fetch", str(path))
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "PMID 11: revision date '2025-02-30' is not a real date" in result.output
    assert "PMID abc: PMID 'abc' is not a positive whole number" in result.output
    assert "0 documents, 0 deletions" in result.output


@pytest.mark.parametrize("args, env, needle", [
    (["fetch", ""], {}, "empty source"),
    (["fetch", "pmid:0,abc"], {}, "PMIDs must be numbers"),
    (["fetch", "pmid:@/nonexistent/list.txt"], {}, "/nonexistent/list.txt: cannot read the PMID list"),
    (["stats", "--graph", "mysql://h/db"], {}, "mysql:// is not a graph"),
    (["stats", "--graph", "bolt://h:notaport"], {}, "the port must be a number"),
    (["stats", "--graph", "bolt://h:99999"], {}, "the port must be a number"),
    (["fetch", "pmid:1"], {"LITGRAPH_THREADS": "-1"}, "LITGRAPH_THREADS='-1'"),
    (["fetch", "pmid:1"], {"LITGRAPH_THREADS": "abc"}, "LITGRAPH_THREADS='abc'"),
    (["stats"], {"LITGRAPH_BUFFER_POOL_MB": str(2 ** 60)}, "LITGRAPH_BUFFER_POOL_MB="),
    (["fetch", "pmid:1"], {"LITGRAPH_EUTILS_BATCH": "0"}, "LITGRAPH_EUTILS_BATCH='0'"),
    (["query", "top-entities", "-p", "limit=-1"], {}, "limit"),
], ids=["empty-source", "bad-pmids", "missing-pmid-file", "mysql-uri", "port-word", "port-range", "threads-negative",
        "threads-word", "huge-buffer-pool", "batch-zero", "limit-negative"])
def test_bad_settings_and_sources_are_clean_errors(args, env, needle, graph, tmp_path):
    env = {"LITGRAPH_GRAPH": str(graph), **env}
    result = run(*args, env=env, cwd=tmp_path)
    assert_clean_error(result, 2, needle)
    assert not (tmp_path / "mysql:").exists()


def test_empty_folders_and_dev_null_do_not_build(graph, tmp_path):
    from tests.fixtures.pipeline import graph_snapshot

    settings = Settings.from_env(graph=str(graph))
    before = graph_snapshot(settings)
    (tmp_path / "empty").mkdir()
    for source, needle in ((str(tmp_path / "empty"), "no data files"), ("/dev/null", "the file is empty")):
        assert_clean_error(run("build", source, "--annotated", "--graph", str(graph), "--no-progress"), 2, source, needle)
    assert graph_snapshot(settings) == before
    with open_ledger(graph) as ledger:
        assert all(u.done is False for s in ledger.sources() for u in ledger.get(s).units.values())


class open_ledger:
    """The ledger of a graph folder, read-only."""

    def __init__(self, graph: Path):
        from litgraph.store import open_store

        self.store = open_store(Settings.from_env(graph=str(graph)), read_only=True)

    def __enter__(self):
        from litgraph.pipeline.ledger import Ledger

        return Ledger(self.store)

    def __exit__(self, *exc):
        self.store.close()


def test_stats_and_query_on_a_folder_that_is_not_a_graph_create_nothing(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    for args in (["stats"], ["query", "top-entities"], ["export", "--format", "csv", "--out", str(tmp_path / "out")]):
        assert_clean_error(run(*args, "--graph", str(folder)), 2, str(folder), "no graph here")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_unwritable_fetch_output_is_a_clean_error(tmp_path):
    source = tmp_path / "a.pubtator"
    source.write_text(_GOOD + "\n", encoding="utf-8")
    for out in ("/proc/litgraph.jsonl", "/proc/litgraph/x.jsonl"):
        assert_clean_error(run("fetch", str(source), "--out", out), 2, out, "writable folder")


# ---------------------------------------------------------------------------------------------- secrets


def test_secrets_never_reach_stderr(eutils_server, graph, tmp_path):
    key, password = "s3cret-api-key-1234", "s3cret-password-5678"
    cases = [
        (["fetch", "pmid:1"], {"LITGRAPH_EUTILS_URL": "eutils.example.org/entrez/eutils", "NCBI_API_KEY": key}),
        (["stats", "--graph", f"bolt://neo4j:{password}@127.0.0.1:1"], {}),
        (["stats", "--graph", "bolt://127.0.0.1:1"], {"NEO4J_PASSWORD": password}),
    ]
    eutils_server.efetch_limit = 0  # every efetch answers HTTP 400 with a body that echoes the request
    eutils_server.echo_errors = True
    cases.append((["fetch", "pmid:41576520"], {"LITGRAPH_EUTILS_URL": eutils_server.url, "NCBI_API_KEY": key}))
    for args, env in cases:
        for debug in ("", "1"):
            result = run(*args, env={"LITGRAPH_DEBUG": debug, **env})
            assert result.exit_code in (1, 2), result.output
            assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
            assert key not in result.output and password not in result.output, result.output
    assert "api_key=***" in result.output  # the 400 body echoed the key: shown redacted
    assert any(key in p.get("api_key", "") for _, _, p, _ in eutils_server.requests)  # the key was sent, not shown


def test_a_second_writer_on_one_graph_in_one_process_is_refused(tmp_path):
    from litgraph.errors import LitgraphError
    from litgraph.store import open_store

    settings = Settings.from_env(graph=str(tmp_path / "graph"))
    with open_store(settings) as first:
        with pytest.raises(LitgraphError, match="already open for writing in this process"):
            open_store(settings.with_(graph=str(tmp_path / "graph" / ".." / "graph")))
        with open_store(settings, read_only=True) as reader:  # a reader beside it is fine
            assert reader.stats()["articles"] == first.stats()["articles"] == 0
    with open_store(settings) as again:  # closed: the graph may be opened again
        assert again.stats()["articles"] == 0


def test_a_build_from_eutils_that_misses_records_exits_1_and_the_next_build_fetches_them(
        eutils_server, sample_articles, tmp_path, data_dir):
    lost = sorted(sample_articles)[0]
    eutils_server.withhold = {lost}
    env = {"LITGRAPH_EUTILS_URL": eutils_server.url, "NCBI_API_KEY": "k" * 8, "LITGRAPH_CORPORA": str(data_dir)}
    graph = tmp_path / "graph"
    args = ["build", "pubmed:all[sb]", "--annotated", "--graph", str(graph), "--format", "json", "--no-progress"]
    result = run(*args, env=env)
    assert_clean_error(result, 1, "1 requested record(s) never arrived", lost)
    assert _stats(graph, env)["articles"] == len(sample_articles) - 1
    eutils_server.withhold = set()
    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    assert _stats(graph, env)["articles"] == len(sample_articles)


def test_refresh_of_a_folder_without_a_graph_creates_nothing(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    for graph in (folder, tmp_path / "absent"):
        assert_clean_error(run("refresh", "--graph", str(graph), "--annotated"), 2, str(graph), "no graph")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"] and not (tmp_path / "absent").exists()


def test_gzipped_inputs_of_every_format_read_like_the_plain_files(data_dir, samples_dir, tmp_path):
    from litgraph import fetch

    settings = Settings.from_env(corpora=str(data_dir))
    plain = {"pt.pubtator": data_dir / "biored" / "Dev.PubTator", "bj.json": data_dir / "biored" / "Dev.BioC.JSON",
             "ml.txt": samples_dir / "medline" / "pubmed_result2.txt"}
    for name, source in plain.items():
        packed = tmp_path / f"{name}.gz"
        packed.write_bytes(gzip.compress(source.read_bytes()))
        assert ([r.pmid for r in fetch.iter_records(str(packed), settings, progress=False)]
                == [r.pmid for r in fetch.iter_records(str(source), settings, progress=False)])
    truncated = tmp_path / "cut.pubtator.gz"
    truncated.write_bytes((tmp_path / "pt.pubtator.gz").read_bytes()[:4000])
    assert_clean_error(run("fetch", str(truncated)), 2, str(truncated), "truncated gzip")
    empty = tmp_path / "empty.pubtator.gz"
    empty.write_bytes(gzip.compress(b""))
    assert_clean_error(run("fetch", str(empty)), 2, str(empty), "empty")
