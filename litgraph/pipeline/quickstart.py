"""``litgraph quickstart``: default models (trained when missing), a graph from PubMed, two answers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from litgraph.errors import LitgraphError
from litgraph.pipeline.build import build
from litgraph.settings import Settings

#: Used when the corpora folder has no PubMed samples (needs network access to NCBI).
ONLINE_SOURCE = 'pubmed:"metformin AND lactic acidosis"'
QUERIES = ("drugs-for-disease", "adverse-effects")

# What is asked about: the disease with the most TREATS evidence and the chemical with the most
# INDUCES evidence in the graph (any chemical–disease edge when there is none of that type).
TOP = (
    "MATCH (c:Chemical)-[r:{edge}]->(d:Disease) "
    "RETURN {end}.id AS id, sum(r.evidence_count) AS n ORDER BY n DESC, id LIMIT 1"
)


def models_cached(settings: Settings) -> bool:
    """True when the default NER and relation models are in the models folder."""
    from litgraph.errors import InputError
    from litgraph.extract import default_model_dirs
    from litgraph.extract.store import read_meta

    try:
        for kind, folder in default_model_dirs(settings).items():
            read_meta(folder, kind)
    except InputError:
        return False
    return True


def sample_sources(settings: Settings) -> list[str]:
    """The PubMed baseline and update sample folders of the corpora folder, those that exist."""
    root = Path(settings.corpora) / "pubmed_samples"
    return [str(root / name) for name in ("baseline", "updatefiles") if (root / name).is_dir()]


def quickstart(settings: Settings, *, progress: bool = True, echo: Callable[[str], None] | None = print) -> dict:
    """Run the main job end to end and return what it printed as data.

    ``{"trained": bool, "sources": [...], "build": report, "answers": {query: {"params", "rows"}}, "seconds"}``
    """
    say = echo or (lambda _text: None)
    started = time.monotonic()
    trained = False
    if not models_cached(settings):
        from litgraph.extract import train_default_models

        say(f"No default models in {settings.models}: training them (quick preset, about 15 minutes on 2 cores).")
        train_default_models(settings, progress=progress)
        trained = True
    sources = sample_sources(settings) or [ONLINE_SOURCE]
    say(f"Building the graph {settings.graph} from {', '.join(sources)}")
    report = build(sources, settings, progress=progress)
    say(report.summary())
    answers = ask(settings)
    for name, answer in answers.items():
        say(f"\n{name} {' '.join(f'{k}={v}' for k, v in answer['params'].items())}")
        say(format_rows(answer["rows"]) if answer["rows"] else "  (no rows)")
    seconds = round(time.monotonic() - started, 1)
    say(f"\nquickstart done in {seconds} s; try `litgraph query --list` and `litgraph refresh`.")
    return {"trained": trained, "sources": sources, "build": report.to_dict(), "answers": answers, "seconds": seconds}


def ask(settings: Settings) -> dict:
    """The answers to ``drugs-for-disease`` and ``adverse-effects`` about the best-supported disease and drug."""
    from litgraph.store import open_store

    with open_store(settings) as store:
        disease = _top(store, "TREATS", "d")
        chemical = _top(store, "INDUCES", "c")
        if disease is None or chemical is None:
            raise LitgraphError(f"the graph {settings.graph} has no drug–disease edge to ask about")
        asked = {"drugs-for-disease": {"disease": disease}, "adverse-effects": {"entity": chemical}}
        return {name: {"params": params, "rows": store.query(name, params)} for name, params in asked.items()}


def _top(store, edge: str, end: str) -> str | None:
    for kind in (edge, "INDUCES|TREATS"):
        rows = store.run_cypher(TOP.format(edge=kind, end=end))
        if rows:
            return rows[0]["id"]
    return None


def format_rows(rows: list[dict], limit: int = 10) -> str:
    """The first rows as an aligned text table."""
    rows = rows[:limit]
    columns = list(rows[0])
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, list):
        text = ",".join(str(v) for v in value[:5]) + (",…" if len(value) > 5 else "")
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:59] + "…"
