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
from litgraph.corpora import load_corpus
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
