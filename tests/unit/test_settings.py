"""Every setting is a Settings field, read from the environment and validated only in Settings.from_env."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from litgraph.errors import InputError
from litgraph.settings import ENVIRONMENT, Settings, redact

REPO = Path(__file__).resolve().parents[2]


def test_each_variable_sets_its_field():
    env = {"LITGRAPH_CORPORA": "/c", "LITGRAPH_MODELS": "/m", "LITGRAPH_GRAPH": "bolt://db:7687",
           "LITGRAPH_EUTILS_URL": "http://127.0.0.1:9/eutils/", "LITGRAPH_EUTILS_BATCH": "20", "NCBI_EMAIL": "a@b.c",
           "NCBI_API_KEY": "key-123456", "NEO4J_USERNAME": "u", "NEO4J_PASSWORD": "pw-123456", "NEO4J_DATABASE": "d",
           "LITGRAPH_THREADS": "3", "LITGRAPH_PRECISION": "fp32", "LITGRAPH_BUFFER_POOL_MB": "128", "LITGRAPH_DEBUG": "1"}
    assert set(env) == set(ENVIRONMENT)
    s = Settings.from_env(env)
    assert (str(s.corpora), str(s.models), s.graph, s.eutils_batch, s.threads, s.precision, s.buffer_pool_mb, s.debug) \
        == ("/c", "/m", "bolt://db:7687", 20, 3, "fp32", 128, True)
    assert s.cpu_threads == 3 and "pw-123456" not in repr(s) and "key-123456" not in repr(s)
    assert redact("failed with pw-123456 and key-123456") == "failed with *** and ***"
    assert Settings.from_env(env, threads=1, graph="/g").threads == 1  # options win over the environment
    plain = Settings.from_env({})
    assert (plain.eutils_batch, plain.threads, plain.precision, plain.buffer_pool_mb, plain.debug) == (500, None, "auto", None, False)


@pytest.mark.parametrize("var, value", [("LITGRAPH_THREADS", "-1"), ("LITGRAPH_THREADS", "abc"), ("LITGRAPH_EUTILS_BATCH", "0"),
                                        ("LITGRAPH_EUTILS_BATCH", "10001"), ("LITGRAPH_PRECISION", "half"),
                                        ("LITGRAPH_BUFFER_POOL_MB", "63"), ("LITGRAPH_BUFFER_POOL_MB", str(2 ** 60)),
                                        ("LITGRAPH_GRAPH", "http://x"), ("LITGRAPH_EUTILS_URL", "ftp://x")])
def test_a_bad_value_is_refused_once_naming_the_variable(var, value):
    with pytest.raises(InputError, match=var if var != "LITGRAPH_GRAPH" else "LITGRAPH_GRAPH / --graph"):
        Settings.from_env({var: value})


def test_code_built_settings_are_validated_too():
    with pytest.raises(InputError):
        Settings(threads=0)
    with pytest.raises(InputError):
        Settings(precision="fp16")
    assert Settings().with_(threads=2).threads == 2


def test_only_settings_reads_the_environment():
    readers = []
    for base in ("litgraph", "connectors"):
        for path in (REPO / base).rglob("*.py"):
            if path.name == "settings.py" and path.parent.name == "litgraph":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
                if name in ("environ", "getenv", "putenv"):
                    readers.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert readers == []
