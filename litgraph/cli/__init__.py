"""The ``litgraph`` command line. Each area registers its commands from its own module."""

from __future__ import annotations

import logging
import sys
import traceback

import click

from litgraph import __version__
from litgraph.cli import fetch_cmd, graph_cmds, model_cmds, normalise_cmds, pipeline_cmds
from litgraph.errors import LitgraphError
from litgraph.settings import redact


class LitgraphGroup(click.Group):
    """A click group that turns litgraph errors into a message and the contract's exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except LitgraphError as err:
            self._fail(ctx, str(err), err.exit_code)
        except KeyboardInterrupt:
            click.echo("litgraph: interrupted", err=True)
            ctx.exit(130)
        except OSError as err:  # the environment: a disk, a permission, a device
            where = f" ({err.filename})" if getattr(err, "filename", None) else ""
            self._fail(ctx, f"{err.strerror or err}{where}; check the path, its permissions and free space", 1)
        except Exception as err:  # a bug, or input no check caught: a message, never a traceback
            self._fail(ctx, f"unexpected {type(err).__name__}: {err}; run again with LITGRAPH_DEBUG=1 for the "
                            "traceback and report it", 1)

    @staticmethod
    def _fail(ctx: click.Context, message: str, code: int) -> None:
        """Print a (redacted) error message, and the redacted traceback with LITGRAPH_DEBUG=1; exit ``code``."""
        if _debug():
            click.echo(redact(traceback.format_exc()), err=True)
        click.echo(f"litgraph: error: {redact(message)}", err=True)
        ctx.exit(code)


def _debug() -> bool:
    """The ``debug`` setting (``LITGRAPH_DEBUG``). Settings that do not validate are reported by their own
    message, which needs no traceback."""
    from litgraph.settings import Settings

    try:
        return Settings.from_env().debug
    except LitgraphError:
        return False


@click.group(cls=LitgraphGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="litgraph")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """Turn the biomedical literature into a queryable knowledge graph.

    \b
    Typical session:
      litgraph fetch pubmed:"metformin AND lactic acidosis" --out docs.jsonl
      litgraph build docs.jsonl                 # extract, normalise, load
      litgraph query drugs-for-disease --param disease="lactic acidosis"

    Settings come from LITGRAPH_CORPORA, LITGRAPH_MODELS, LITGRAPH_GRAPH, NCBI_EMAIL,
    NCBI_API_KEY (or the matching options). Set LITGRAPH_DEBUG=1 for tracebacks.
    """
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _Redact) for f in handler.filters):
            handler.addFilter(_Redact())


class _Redact(logging.Filter):
    """Log records leave with their secrets removed (``litgraph.settings.redact``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        return True


@main.group("eval")
def eval_group() -> None:
    """Evaluate models and normalisation on annotated corpora (scores are fractions in [0, 1])."""


for _module in (fetch_cmd, model_cmds, normalise_cmds, graph_cmds, pipeline_cmds):
    _module.register(main, eval_group)
