"""Exceptions with a meaning for the command line: InputError exits 2, LitgraphError exits 1."""


class LitgraphError(Exception):
    """An error the user can act on; the CLI prints the message and exits 1."""

    exit_code = 1


class InputError(LitgraphError):
    """Bad usage or bad input. The message names the file, record or line and what to do; exit 2."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, record: str | None = None):
        where = ", ".join(
            part
            for part in (
                str(path) if path else None,
                f"line {line}" if line is not None else None,
                f"record {record}" if record else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line, self.record = path, line, record


class TransactionTooLarge(LitgraphError):
    """One write did not fit the store's memory (LadybugDB's page cache, Neo4j's transaction memory) and was
    rolled back whole; ``GraphStore`` retries it in smaller parts, each its own transaction."""
