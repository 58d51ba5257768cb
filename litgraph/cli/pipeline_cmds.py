"""Commands: litgraph build, refresh, quickstart."""

from __future__ import annotations

import functools

import click

from litgraph.cli.options import corpora_option, echo_json, graph_option, models_option, progress_option, settings_from

ENGINE_HELP = "local: one process; ray: fetch-and-extract on Ray workers over shards, then bulk load."


#: Options of build and refresh that go to the pipeline unchanged (as ``run``).
RUN_OPTIONS = ("model_dirs", "annotated", "int8", "engine", "ray_address", "workers", "batch_size", "progress")


def _engine_options(func):
    """Add the engine options; the command gets them as one ``run`` dict of pipeline keyword arguments."""

    @functools.wraps(func)
    def command(**kwargs):
        run = {name: kwargs.pop(name) for name in RUN_OPTIONS}
        run["model_dirs"] = list(run["model_dirs"]) or None
        return func(run=run, **kwargs)

    for option in reversed([
        click.option("--model", "model_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
                     help="A model folder (give one NER and one relation model); default: the models folder's default models."),
        click.option("--annotated", is_flag=True,
                     help="Load the annotations that come with PubTator/BioC input instead of running models."),
        click.option("--int8", is_flag=True, help="Dynamic int8 quantisation of the models for CPU inference."),
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True, help=ENGINE_HELP),
        click.option("--ray-address", default=None, help="Address of a Ray cluster (default: start a local Ray)."),
        click.option("--workers", type=int, default=None, help="Ray workers (default: one per CPU, or per GPU when the cluster has GPUs)."),
        click.option("--batch-size", type=click.IntRange(1), default=None,
                     help="Records per load batch (one store transaction). Default: adaptive, up to what the store "
                          "prefers (LadybugDB 20,000, Neo4j 5,000) but at most a minute of reading and extracting."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="json: the report as one JSON document on stdout."),
        progress_option,
    ]):
        command = option(command)
    return command


def _emit(report, fmt: str) -> None:
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        click.echo(report.summary())
    from litgraph.connectors.eutils import MISSING
    from litgraph.errors import LitgraphError

    missing = [f.pmid for f in report.failures if f.reason == MISSING]
    if missing:  # the report is out; the exit status says that records were lost on the way
        raise LitgraphError(f"{len(missing)} requested record(s) never arrived from E-utilities "
                            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); the next build or "
                            "refresh asks for them again")


def register(main: click.Group, eval_group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    main.add_command(build_cmd)
    main.add_command(refresh_cmd)
    main.add_command(quickstart_cmd)


@click.command("build")
@click.argument("sources", nargs=-1, required=True)
@graph_option
@models_option
@corpora_option
@_engine_options
def build_cmd(sources, graph, models, corpora, fmt, run):
    """Fetch, extract, normalise and load SOURCES into the graph (resumable, idempotent).

    SOURCE is pubmed:"QUERY", pmid:1,2,3, a corpus name, or a PubMed XML(.gz) / MEDLINE / PubTator /
    BioC file or folder (files of a folder are applied in name order). A rerun skips what is already
    loaded; a run that was killed resumes where it stopped. Records that fail are listed with their
    PMID and reason at the end.

    \b
    Examples:
      litgraph build ~/pubmed/baseline ~/pubmed/updatefiles
      litgraph build pubmed:"metformin AND lactic acidosis" --format json
      litgraph build bc5cdr:dev --annotated                # the corpus's own annotations
      litgraph build ~/pubmed/baseline --engine ray --ray-address ray://head:10001
    """
    from litgraph.pipeline import build

    settings = settings_from(corpora, models, graph)
    report = build(list(sources), settings, **run)
    _emit(report, fmt)

@click.command("refresh")
@graph_option
@models_option
@corpora_option
@click.option("--reextract", is_flag=True, help="Also re-run articles processed by older model versions.")
@_engine_options
def refresh_cmd(graph, models, corpora, reextract, fmt, run):
    """Apply what changed in the sources recorded in the graph: new, revised and deleted records.

    Folders of update files: the files not yet applied, in order (DeleteCitation removes the
    article and its evidence). pubmed: queries: records added or revised since the last
    watermark. Cost grows with the changes, not with the graph; a revision that keeps the title
    and abstract (new MeSH terms, a new version) is not extracted again, only its article node
    is updated. Run it from cron or a systemd timer (docs/pipeline.md).

    \b
    Examples:
      litgraph refresh
      litgraph refresh --graph ~/graphs/cardio --reextract --format json
    """
    from litgraph.pipeline import refresh

    settings = settings_from(corpora, models, graph)
    report = refresh(settings, reextract=reextract, **run)
    _emit(report, fmt)

@click.command("quickstart")
@graph_option
@models_option
@corpora_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@progress_option
def quickstart_cmd(graph, models, corpora, fmt, progress):
    """The main job end to end: the models, a graph from drug–disease abstracts, two answers by name.

    Uses the models in the models folder, or the default models shipped with litgraph (nothing is
    trained). Reads the 500 BC5CDR dev abstracts from the corpora folder as plain text (their
    annotations are dropped; the models extract chemicals, diseases, genes and relations), or,
    without that corpus, a PubMed query. Prints the answers to two drug–disease queries asked by
    name, each backed by at least two papers, and the evidence sentences of their first rows.
    Run again, it only checks that everything is current.

    \b
    Example:
      LITGRAPH_CORPORA=../shared/data litgraph quickstart
    """
    from litgraph.pipeline.quickstart import quickstart

    settings = settings_from(corpora, models, graph)
    result = quickstart(settings, progress=progress, echo=None if fmt == "json" else click.echo)
    if fmt == "json":
        echo_json(result)
