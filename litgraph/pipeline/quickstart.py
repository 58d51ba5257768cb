"""``litgraph quickstart``: default models (trained when missing), a graph from PubMed, two answers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from litgraph.pipeline.build import build
from litgraph.settings import Settings

#: Used when the corpora folder has no PubMed samples (needs network access to NCBI).
ONLINE_SOURCE = 'pubmed:"metformin AND lactic acidosis"'
QUERIES = ("drugs-for-disease", "adverse-effects")

# What is asked about: the best-supported disease and drug of the graph's TREATS and INDUCES edges.
TOP = (
    "MATCH (c:Chemical)-[r:{edge}]->(d:Disease) "
    "RETURN {end}.id AS id, sum(r.evidence_count) AS n ORDER BY n DESC, id LIMIT 1"
)
#: (query, its parameter, edge type, which end of the edge), in order of preference.
QUESTIONS = (
    ("drugs-for-disease", "disease", "TREATS", "d"),
    ("adverse-effects", "entity", "INDUCES", "c"),
    ("adverse-effects", "entity", "INDUCES", "d"),
    ("diseases-for-drug", "chemical", "TREATS", "c"),
)


def models_cached(settings: Settings) -> bool:
    """True when the default NER and relation models are in the models folder."""
    from litgraph.errors import InputError
    from litgraph.pipeline.build import model_versions

    try:
        model_versions(settings)
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
    if not answers:
        say("\nThe graph has no drug–disease edge (TREATS or INDUCES) to ask about yet; "
            "try `litgraph query top-entities` or build from more abstracts.")
    for name, answer in answers.items():
        say(f"\nlitgraph query {name.replace(' ', ' --param ')}")
        say(format_rows(answer["rows"]) if answer["rows"] else "  (no rows)")
    seconds = round(time.monotonic() - started, 1)
    say(f"\nquickstart done in {seconds} s; try `litgraph query --list` and `litgraph refresh`.")
    return {"trained": trained, "sources": sources, "build": report.to_dict(), "answers": answers, "seconds": seconds}


def ask(settings: Settings, count: int = 2) -> dict:
    """Answers to ``count`` drug–disease queries (``drugs-for-disease``, ``adverse-effects`` when the graph
    has TREATS and INDUCES edges) about the best-supported disease or drug of each; empty without such edges."""
    from litgraph.query import run_query
    from litgraph.store import open_store

    answers = {}
    with open_store(settings) as store:
        for name, param, edge, end in QUESTIONS:
            rows = store.run_cypher(TOP.format(edge=edge, end=end))
            if rows and len(answers) < count:
                params = {param: rows[0]["id"]}
                answers[f"{name} {param}={rows[0]['id']}"] = {"query": name, "params": params,
                                                              "rows": run_query(store, name, params)}  # CURIEs: no name lookup
    return answers


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
