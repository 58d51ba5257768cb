"""The fetch layer's one table of formats: detection, reading, writing, and the errors of what is no format."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from litgraph.cli import main
from litgraph.errors import InputError
from litgraph.fetch.formats import FORMATS, OUTPUT_FORMATS, RecordWriter, read_file, record_output, sniff
from litgraph.records import Deletion, Document, Mention, Relation, to_json

DOC = Document("101", title="Lithium and renal failure.", abstract="Lithium caused renal failure in two patients.",
               mentions=[Mention("101", 0, 7, "Lithium", "Chemical", ["MESH:D008094"]),
                         Mention("101", 12, 25, "renal failure", "Disease", ["MESH:D051437"])],
               relations=[Relation("101", "CID", "MESH:D008094", "MESH:D051437")])
PUBTATOR = ("101|t|Lithium and renal failure.\n101|a|Lithium caused renal failure in two patients.\n"
            "101\t0\t7\tLithium\tChemical\tD008094\n101\t12\t25\trenal failure\tDisease\tD051437\n101\tCID\tD008094\tD051437\n\n")
MEDLINE = "PMID- 101\nTI  - Lithium and renal failure.\nAB  - Lithium caused renal failure in two patients.\nDP  - 2001\n\n"
PUBMED_XML = """<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">101</PMID>
<Article><ArticleTitle>Lithium and renal failure.</ArticleTitle>
<Abstract><AbstractText>Lithium caused renal failure in two patients.</AbstractText></Abstract></Article>
</MedlineCitation></PubmedArticle></PubmedArticleSet>
"""


def _bioc_xml() -> bytes:
    out = io.BytesIO()
    RecordWriter("bioc", out).write_all([DOC])
    return out.getvalue()


def _bioc_json() -> str:
    from litgraph.connectors.bioc import write_bioc_json

    out = io.StringIO()
    write_bioc_json([DOC], out)
    return out.getvalue()


SAMPLES = {
    "pubtator": PUBTATOR.encode(),
    "medline": MEDLINE.encode(),
    "pubmed-xml": PUBMED_XML.encode(),
    "bioc-xml": _bioc_xml(),
    "bioc-json": _bioc_json().encode(),
    "jsonl": (to_json(DOC) + "\n" + to_json(Deletion("102")) + "\n").encode(),
}


def test_the_table_holds_every_format_once_and_pubtator_last():
    assert set(SAMPLES) == set(FORMATS)
    assert list(FORMATS)[-1] == "pubtator"
    assert OUTPUT_FORMATS == ("bioc", "jsonl", "pubtator")


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_each_format_is_found_by_content_and_read(tmp_path, name, packed):
    path = tmp_path / ("data.gz" if packed else "data")
    path.write_bytes(gzip.compress(SAMPLES[name]) if packed else SAMPLES[name])
    assert sniff(path) == name
    records = list(read_file(path))
    assert records[0].pmid == "101"
    assert isinstance(records[0], Document) and records[0].title == DOC.title
    if name in ("pubtator", "bioc-xml", "bioc-json", "jsonl"):
        assert [(m.start, m.end, m.type) for m in records[0].mentions] == [(0, 7, "Chemical"), (12, 25, "Disease")]


@pytest.mark.parametrize("name, data, message", [
    ("empty.txt", b"  \n", "the file is empty"),
    ("utf16.txt", "PMID- 1\n".encode("utf-16"), "UTF-16"),
    ("a.xml.gz", b"<PubmedArticleSet/>", "not gzip data"),
    ("empty.gz", gzip.compress(b"\n"), "empty once decompressed"),
    ("other.xml", b"<?xml version='1.0'?><html><body/></html>", "root <html>"),
    ("value.json", b'"just a string"', "a JSON str, not records"),
])
def test_what_is_no_format_is_an_input_error_naming_the_file(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as caught:
        sniff(path)
    assert str(path) in str(caught.value)


def test_one_writer_streams_every_output_format_and_reads_back(tmp_path):
    for fmt in OUTPUT_FORMATS:
        out = tmp_path / f"out.{fmt}"
        with record_output(out, fmt) as writer:
            writer.write(DOC)
            writer.write(Deletion("102"))
        assert not out.with_name(out.name + ".part").exists()
        assert (writer.written, writer.skipped) == ((2, 0) if fmt == "jsonl" else (1, 1))
        back = list(read_file(out))
        assert [r.pmid for r in back] == (["101", "102"] if fmt == "jsonl" else ["101"])
        assert back[0].text == DOC.text and len(back[0].mentions) == 2


def test_a_failed_write_leaves_no_file(tmp_path):
    out = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError):
        with record_output(out, "jsonl") as writer:
            writer.write(DOC)
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------- one clean error through every command

def _truncated_pubtator(tmp_path: Path) -> Path:
    """A gzipped PubTator file cut inside its first document: the text starts well (the format is found),
    then the gzip stream ends early. (A file cut later fails at the cut, after the records before it.)"""
    import zlib

    text = "".join(PUBTATOR.replace("101", str(1000 + n)) for n in range(50)).encode()
    packed = gzip.compress(text, compresslevel=1)
    cut = next(n for n in range(20, len(packed))
               if len(zlib.decompressobj(wbits=31).decompress(packed[:n])) >= 40)
    path = tmp_path / "cut.pubtator.gz"
    path.write_bytes(packed[:cut])
    return path


def test_a_truncated_gzip_pubtator_is_one_clean_error_through_every_command(tmp_path):
    source = _truncated_pubtator(tmp_path)
    env = {"LITGRAPH_MODELS": str(tmp_path / "models"), "LITGRAPH_CORPORA": str(tmp_path / "corpora"),
           "LITGRAPH_GRAPH": str(tmp_path / "graph"), "LITGRAPH_DEBUG": ""}
    s = str(source)
    commands = [
        ["fetch", s],
        ["fetch", s, "--out", str(tmp_path / "out.jsonl")],
        ["extract", s, "--out", str(tmp_path / "out.pubtator"), "--format", "pubtator"],
        ["build", s, "--annotated", "--no-progress"],
        ["eval", "ner", "--corpus", s],
        ["eval", "relations", "--corpus", s, "--gold-entities"],
        ["eval", "normalise", "--corpus", s],
        ["eval", "normalize", "--corpus", s],
        ["normalise", "build-index", "--train", s],
        ["train", "ner", "--corpus", s, "--dev", s, "--out", str(tmp_path / "ner"), "--no-progress"],
    ]
    for args in commands:
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
        assert "Traceback" not in result.output
        assert "litgraph: error:" in result.output and s in result.output and "gzip" in result.output, (args, result.output)
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.pubtator").exists()


def test_extract_reads_stdin_jsonl_with_record_checks(tmp_path):
    bad = json.dumps({"pmid": "12", "title": "x", "year": 99999}) + "\n"
    result = CliRunner().invoke(main, ["extract", "-"], input=bad + to_json(DOC) + "\n",
                                env={"LITGRAPH_MODELS": str(tmp_path / "m")})
    assert result.exit_code == 2 and "<stdin>" in result.output and "line 1" in result.output, result.output
