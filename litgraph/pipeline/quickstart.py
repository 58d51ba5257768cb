"""``litgraph quickstart``: the shipped (or trained) models over drug–disease abstracts, two answers by name.

Offline it reads the BC5CDR dev abstracts (500 PubMed papers chosen by their curators for chemicals and
the diseases they induce) as plain text: the corpus's own annotations are dropped and the models
extract everything. Without that corpus it reads a PubMed query through E-utilities.
"""

from __future__ import annotations

import time
from typing import Callable

from litgraph.pipeline.build import build
from litgraph.pipeline.models import model_versions
from litgraph.settings import Settings

#: Read offline, as plain text (``corpora.resolve_corpus`` finds it in the corpora folder).
OFFLINE_SOURCE = "bc5cdr:dev"
#: Read when the corpora folder has no BC5CDR (needs network access to NCBI).
ONLINE_SOURCE = 'pubmed:"drug-induced liver injury"[MeSH Terms] AND 2024[dp]'

# The best-supported chemical and disease of the INDUCES / TREATS edges, counting only edges that at least
# ``$papers`` articles support, so that every answer is backed by several papers.
TOP = (
    "MATCH (c:Chemical)-[r:{edge}]->(d:Disease) WHERE r.evidence_count >= $papers "
    "WITH {end} AS n, sum(r.evidence_count) AS support "
    "RETURN n.id AS id, n.name AS name, support ORDER BY support DESC, id LIMIT 3"
)
#: (query, its parameter, edge type, which end of the edge), in order of preference.
QUESTIONS = (
    ("adverse-effects", "entity", "INDUCES", "d"),
    ("adverse-effects", "entity", "INDUCES", "c"),
    ("drugs-for-disease", "disease", "TREATS", "d"),
    ("diseases-for-drug", "chemical", "TREATS", "c"),
)
MIN_PAPERS = 2


def source(settings: Settings) -> str:
    """What the quickstart reads: the BC5CDR dev abstracts when the corpora folder has them, else PubMed."""
    from litgraph.fetch.corpora import resolve
    from litgraph.errors import InputError

    try:
        resolve(OFFLINE_SOURCE, settings, download=False)
    except InputError:
        return ONLINE_SOURCE
    return OFFLINE_SOURCE


def quickstart(settings: Settings, *, progress: bool = True, echo: Callable[[str], None] | None = print) -> dict:
    """Run the main job end to end and return what it printed as data.

    ``{"models": [...], "source": str, "build": report, "answers": {question: {"query", "params", "rows",
    "evidence"}}, "seconds"}``
    """
    from litgraph.extract.store import describe

    say = echo or (lambda _text: None)
    started = time.monotonic()
    model_versions(settings)  # a clear error now, not after reading, when no model is usable
    models = describe(settings)
    for m in models:
        say(f"{m['kind'].upper()} model {m['version']} ({m['source']}: {m['folder']})")
    read = source(settings)
    note = " as plain text: their annotations are dropped, the models extract" if read == OFFLINE_SOURCE else ""
    say(f"Building the graph {settings.graph} from {read}{note}")
    report = build([read], settings, progress=progress)
    say(report.summary())
    answers = ask(settings)
    if not answers:
        say(f"\nNo drug–disease edge is backed by {MIN_PAPERS} papers yet; try `litgraph query top-entities`.")
    for answer in answers.values():
        name, param, value = answer["query"], *next(iter(answer["params"].items()))
        say(f"\n$ litgraph query {name} --param {param}=\"{value}\"")
        say(format_rows(answer["rows"], columns=("chemical_name", "name", "disease_name", "evidence_count", "score", "pmids"))
            if answer["rows"] else "  (no rows)")
        if answer["evidence"]:
            a, b = answer["evidence_pair"]
            say(f"  evidence for the first row: litgraph query evidence --param a=\"{a}\" --param b=\"{b}\"")
            say(format_rows(answer["evidence"], limit=3, columns=("pmid", "year", "relation", "sentence")))
    seconds = round(time.monotonic() - started, 1)
    say(f"\nquickstart done in {seconds} s; try `litgraph query --list` and `litgraph models`.")
    return {"models": models, "source": read, "build": report.to_dict(), "answers": answers, "seconds": seconds}


def ask(settings: Settings, count: int = 2) -> dict:
    """Answers, by entity name, to ``count`` drug–disease queries about the best-supported disease and drug of
    the graph (only edges backed by at least ``MIN_PAPERS`` papers), each with the evidence of its first row."""
    from litgraph.normalise import Normaliser
    from litgraph.query import run_query
    from litgraph.store import open_store

    normaliser = Normaliser.load(settings)
    answers: dict[str, dict] = {}
    asked: set[str] = set()
    with open_store(settings) as store:
        for name, param, edge, end in QUESTIONS:
            if len(answers) >= count:
                break
            for top in store.run_cypher(TOP.format(edge=edge, end=end), {"papers": MIN_PAPERS}):
                if top["id"] in asked:
                    continue
                label = top["name"] or top["id"]
                rows = run_query(store, name, {param: label}, normaliser=normaliser)
                if not rows or rows[0].get("evidence_count", 0) < MIN_PAPERS:  # the name means another concept
                    label = top["id"]
                    rows = run_query(store, name, {param: label}, normaliser=normaliser)
                asked.add(top["id"])
                first = rows[0]
                pair = (first.get("chemical_name") or first.get("chemical") or label,
                        first.get("disease_name") or first.get("disease") or label)
                ids = (first.get("chemical") or top["id"], first.get("disease") or top["id"])
                evidence = run_query(store, "evidence", {"a": ids[0], "b": ids[1], "limit": 3}, normaliser=normaliser)
                answers[f"{name} {param}={label}"] = {"query": name, "params": {param: label}, "rows": rows,
                                                      "evidence_pair": list(pair), "evidence": evidence}
                break
    return answers


def format_rows(rows: list[dict], limit: int = 10, columns: tuple[str, ...] | None = None) -> str:
    """The first rows as an aligned text table (only ``columns`` that the rows have, when given)."""
    rows = rows[:limit]
    names = [c for c in (columns or rows[0]) if c in rows[0]] or list(rows[0])
    cells = [[_cell(r.get(c)) for c in names] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(names)]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(names, widths))]
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, list):
        text = ",".join(str(v) for v in value[:5]) + (",…" if len(value) > 5 else "")
    elif isinstance(value, float):
        text = f"{value:.2f}"
    else:
        text = "" if value is None else str(value)
    return text if len(text) <= 90 else text[:89] + "…"
