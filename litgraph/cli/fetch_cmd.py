"""Commands: litgraph fetch."""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from litgraph.cli.options import corpora_option, progress_option, settings_from
from litgraph.fetch.formats import OUTPUT_FORMATS


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
@click.option("--format", "fmt", type=click.Choice(list(OUTPUT_FORMATS)), default="jsonl", show_default=True,
              help="jsonl: one Document or deletion per line; pubtator; bioc (BioC XML). Deletions only in jsonl.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (via PATH.part, renamed when complete) instead of standard output.")
@click.option("--since", callback=_date, default=None, metavar="DATE",
              help="For pubmed: queries, only records created or modified since DATE (YYYY-MM-DD).")
@progress_option
@corpora_option
def fetch(sources: tuple[str, ...], fmt: str, out: Path | None, since, progress: bool, corpora: str | None) -> None:
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
    from litgraph.fetch.formats import record_output

    settings = settings_from(corpora=corpora)
    failures: list[tuple[str, str]] = []
    on_error = lambda pmid, reason: failures.append((pmid, reason))  # noqa: E731
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
        with record_output(None, fmt) as writer:
            for record, _ in records():
                writer.write(record)
    else:
        _write_file(out, fmt, records(), resumable)
    _summary(counts, failures, out)
    _missing(failures, out)


def _missing(failures: list[tuple[str, str]], out: Path | None) -> None:
    """Requested PMIDs that E-utilities never delivered: listed in ``OUT.missing`` (one per line, the form
    ``pmid:@FILE`` reads) and an exit status of 1, so that no run ends with records silently lost."""
    from litgraph.connectors.eutils import MISSING
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


def _write_file(out: Path, fmt: str, records, resumable: bool) -> None:
    """Write through ``out.part``; rename when complete. A resumable fetch keeps its part file."""
    from litgraph.connectors.eutils import Cursor
    from litgraph.fetch.formats import record_output

    part = out.with_name(out.name + ".part")
    cursor_path = out.with_name(out.name + ".cursor")
    resume_at = Cursor(cursor_path).extra.get("out_bytes") if resumable and cursor_path.exists() and part.exists() else None
    if resume_at is not None:
        click.echo(f"litgraph: resuming into {part}", err=True)
    kept = lambda: resumable and cursor_path.exists()  # noqa: E731
    try:
        with record_output(out, fmt, resume_at=resume_at, keep_part=kept) as writer:
            for record, cursor in records:
                writer.write(record)
                if cursor is not None:
                    writer.out.flush()
                    cursor.extra["out_bytes"] = writer.out.tell()
    except BaseException:
        if kept():
            click.echo(f"litgraph: stopped; {part} and {cursor_path} are kept: run the same command to resume", err=True)
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

