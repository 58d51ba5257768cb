"""Commands: litgraph fetch."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import click

from litgraph.cli.options import corpora_option, settings_from
from litgraph.errors import InputError


def register(main: click.Group, eval_group: click.Group) -> None:
    """Add this module's commands to the CLI."""
    main.add_command(fetch)


def _date(ctx, param, value: str | None) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as err:
        raise click.BadParameter(f"{value!r} is not a date like 2025-01-31") from err


@click.command("fetch")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "pubtator", "bioc"]), default="jsonl", show_default=True,
              help="jsonl: one Document or deletion per line; pubtator; bioc (BioC XML). Deletions only in jsonl.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (via PATH.part, renamed when complete) instead of standard output.")
@click.option("--since", callback=_date, default=None, metavar="DATE",
              help="For pubmed: queries, only records created or modified since DATE (YYYY-MM-DD).")
@click.option("--no-progress", is_flag=True, help="No progress bar on standard error.")
@corpora_option
def fetch(sources: tuple[str, ...], fmt: str, out: Path | None, since, no_progress: bool, corpora: str | None) -> None:
    """Fetch records from PubMed, PubMed XML / MEDLINE / PubTator / BioC files or folders.

    \b
    SOURCE is one of
      pubmed:"QUERY"          a PubMed search (E-utilities; NCBI_EMAIL, NCBI_API_KEY)
      pmid:1,2,3              PubMed records by PMID
      FILE                    PubMed XML(.gz), MEDLINE text, PubTator, BioC XML or JSON
      FOLDER                  its files in name order (baseline before update files)
      bc5cdr:train ...        a named corpus

    \b
    Examples:
      litgraph fetch pubmed26n1334.xml.gz --format jsonl --out docs.jsonl
      litgraph fetch pubmed:"metformin AND lactic acidosis" --since 2025-01-01 --out new.jsonl
      litgraph fetch pmid:31452104,29323299 --format pubtator

    With --out and a single online source an interrupted fetch keeps PATH.part and PATH.cursor:
    run the same command again to continue where it stopped. Records that cannot be parsed are
    listed on standard error with their PMID.
    """
    from litgraph import fetch as fetching
    from litgraph.fetch.writers import RecordWriter

    settings = settings_from(corpora=corpora)
    failures: list[tuple[str, str]] = []
    on_error = lambda pmid, reason: failures.append((pmid, reason))  # noqa: E731
    progress = not no_progress
    resumable = out is not None and len(sources) == 1 and fetching.is_online(sources[0])
    counts = {"documents": 0, "deletions": 0}

    def records():
        for source in sources:
            cursor = fetching.Cursor(out.with_name(out.name + ".cursor")) if resumable else None
            for record in fetching.iter_records(source, settings, since=since, progress=progress, on_error=on_error,
                                                cursor=cursor):
                counts["deletions" if getattr(record, "deleted", False) else "documents"] += 1
                yield record, cursor

    if out is None:
        writer = RecordWriter(fmt, sys.stdout.buffer)
        writer.header()
        for record, _ in records():
            writer.write(record)
        writer.footer()
        sys.stdout.buffer.flush()
    else:
        _write_file(out, fmt, records(), resumable, RecordWriter)
    _summary(counts, failures, out)
    _missing(failures, out)


def _missing(failures: list[tuple[str, str]], out: Path | None) -> None:
    """Requested PMIDs that E-utilities never delivered: listed in ``OUT.missing`` (one per line, the form
    ``pmid:@FILE`` reads) and an exit status of 1, so that no run ends with records silently lost."""
    from connectors.eutils import MISSING
    from litgraph.errors import LitgraphError

    missing = [pmid for pmid, reason in failures if reason == MISSING]
    if not missing:
        if out is not None:
            out.with_name(out.name + ".missing").unlink(missing_ok=True)  # a listing of an earlier run is stale
        return
    hint = "run the fetch again later"
    if out is not None:
        listing = out.with_name(out.name + ".missing")
        listing.write_text("# PMIDs requested from E-utilities that never arrived; fetch them with\n"
                           f"# litgraph fetch pmid:@{listing} --out MORE.jsonl\n" + "".join(f"{p}\n" for p in missing),
                           encoding="utf-8")
        hint = f"they are listed in {listing}: fetch them later with `litgraph fetch pmid:@{listing} --out MORE.jsonl`"
    raise LitgraphError(f"{len(missing)} requested record(s) never arrived from E-utilities ({', '.join(missing[:5])}"
                        f"{', ...' if len(missing) > 5 else ''}); {hint}")


def _write_file(out: Path, fmt: str, records, resumable: bool, writer_cls) -> None:
    """Write through ``out.part``; rename when complete. A resumable fetch keeps its part file."""
    from connectors.eutils import Cursor

    part = out.with_name(out.name + ".part")
    cursor_path = out.with_name(out.name + ".cursor")
    resume_at = Cursor(cursor_path).extra.get("out_bytes") if resumable and cursor_path.exists() and part.exists() else None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = open(part, "r+b" if resume_at is not None else "wb")
    except OSError as err:
        raise InputError(f"cannot write here ({err.strerror}); choose a writable folder for --out", path=str(out)) from err
    try:
        writer = writer_cls(fmt, handle)
        if resume_at is not None:
            handle.truncate(resume_at)
            handle.seek(resume_at)
            click.echo(f"litgraph: resuming into {part}", err=True)
        else:
            writer.header()
        for record, cursor in records:
            writer.write(record)
            if cursor is not None:
                handle.flush()
                cursor.extra["out_bytes"] = handle.tell()
        writer.footer()
        handle.close()
        os.replace(part, out)
    except BaseException:
        handle.close()
        if resumable and cursor_path.exists():
            click.echo(f"litgraph: stopped; {part} and {cursor_path} are kept: run the same command to resume", err=True)
        else:
            part.unlink(missing_ok=True)
        raise
    if writer.skipped:
        click.echo(f"litgraph: {writer.skipped} deletion(s) cannot be written as {fmt}; use --format jsonl", err=True)


def _summary(counts: dict[str, int], failures: list[tuple[str, str]], out: Path | None) -> None:
    where = f" -> {out}" if out else ""
    click.echo(f"litgraph: {counts['documents']} documents, {counts['deletions']} deletions{where}", err=True)
    if failures:
        click.echo(f"litgraph: {len(failures)} record(s) could not be parsed:", err=True)
        for pmid, reason in failures:
            click.echo(f"  PMID {pmid}: {reason}", err=True)

