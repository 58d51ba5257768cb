"""Options shared by several commands, each mapped onto a ``Settings`` field."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from litgraph.settings import Settings

corpora_option = click.option(
    "--corpora", type=click.Path(file_okay=False), default=None,
    help="Folder laid out like bc5cdr/, biored/, ncbi_disease/ [env: LITGRAPH_CORPORA].",
)
models_option = click.option(
    "--models", type=click.Path(file_okay=False), default=None,
    help="Folder of trained models [env: LITGRAPH_MODELS].",
)
graph_option = click.option(
    "--graph", default=None,
    help="Embedded store folder, or bolt://, neo4j://, neo4j+s:// URI [env: LITGRAPH_GRAPH].",
)
progress_option = click.option("--progress/--no-progress", default=True, show_default=True,
                               help="Progress bars on standard error.")
#: ``--quiet``: the older name of ``--no-progress``, kept (hidden) so that existing scripts keep working.
quiet_option = click.option("--quiet", "quiet", is_flag=True, hidden=True, help="Same as --no-progress.")
exclude_pmids_option = click.option(
    "--exclude-pmids", type=click.Path(exists=True, dir_okay=False), default=None,
    help="File of PMIDs (one per line, # comments) to leave out of the evaluation.",
)
strict_ids_option = click.option(
    "--strict-ids", is_flag=True,
    help="Score against the gold ids as written. By default a gold id that the vocabulary no longer holds "
         "(a MeSH supplementary concept since made a descriptor) counts as the concept that now carries "
         "its name; the result lists them under retired_ids.",
)


def settings_from(corpora: str | None = None, models: str | None = None, graph: str | None = None) -> Settings:
    """Settings from the environment with the command's options on top."""
    return Settings.from_env(corpora=corpora, models=models, graph=graph)


def read_pmid_file(path: str | None) -> set[str]:
    """PMIDs listed in a file, one per line; ``#`` starts a comment."""
    if not path:
        return set()
    with open(path, encoding="utf-8") as handle:
        return {line.split("#", 1)[0].strip() for line in handle} - {""}


def echo_json(payload: Any) -> None:
    """Print a JSON document on stdout."""
    json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def echo_retired_ids(result: dict) -> None:
    """Say, under an evaluation's table, how many retired gold ids were scored as their current concept."""
    if result.get("retired_ids"):
        click.echo(f"{len(result['retired_ids'])} gold ids retired from the vocabulary scored as their current concept "
                   "(--strict-ids: as written)")
