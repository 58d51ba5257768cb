"""NCBI E-utilities client for PubMed: esearch (history server), epost, efetch in batches.

Responses of esearch and epost are parsed with Biopython's ``Bio.Entrez.read``; efetch output is
PubMed XML, parsed by :mod:`litgraph.connectors.pubmed_xml`. The HTTP layer is our own because
``Bio.Entrez`` hard-codes NCBI's address (tests and mirrors need ``LITGRAPH_EUTILS_URL``) and
sleeps 15 s between retries; here:

* one rate limiter for the whole process, shared by all threads: 3 requests/s, 10/s with an API key;
* retries with exponential backoff and jitter on HTTP 429, 5xx, time-outs, dropped connections and
  truncated or garbled XML; other 4xx answers and ``<ERROR>`` pages raise :class:`InputError`;
* ``tool``, ``email`` and ``api_key`` sent with every request (the key is never logged);
* a query with more than 10,000 hits is split into date ranges until each slice fits;
* PMID lists are posted (epost) in batches, then fetched from the history server;
* an optional :class:`Cursor` file records progress after every batch, so an interrupted fetch
  continues where it stopped.
"""

from __future__ import annotations

import datetime
import http.client
import io
import json
import logging
import os
import random
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from Bio import Entrez
from Bio.Entrez.Parser import CorruptedXMLError, NotXMLError, ValidationError
from tqdm import tqdm

from litgraph.connectors.pubmed_xml import OnError, parse_pubmed_xml
from litgraph.errors import InputError
from litgraph.records import Record
from litgraph.settings import redact

log = logging.getLogger(__name__)

NCBI_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
#: PubMed's esearch (and history) window: a query slice must not match more than this.
MAX_HITS = 10_000
#: The failure reason of a requested PMID that E-utilities never delivered (after asking again by id).
MISSING = "requested from E-utilities but never delivered (asked again by id; still missing)"
_DATE_FMT = "%Y/%m/%d"
_FIRST_DAY = datetime.date(1600, 1, 1)


class RateLimiter:
    """At most ``rate`` requests per second, across every thread that shares this object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self, rate: float) -> None:
        """Block until the caller may send its next request."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + 1.0 / rate
        if slot > now:
            time.sleep(slot - now)


#: The process-wide limiter used by every :class:`EUtils` instance.
RATE_LIMITER = RateLimiter()


class Cursor:
    """A JSON file that records how far a fetch got; it is removed when the fetch completes.

    ``extra`` is saved with every checkpoint: a consumer may store its own position there
    (the CLI keeps the size of its partial output file).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.state: dict[str, Any] | None = None
        self.extra: dict[str, Any] = {}
        if self.path.exists():
            try:
                self.state = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as err:
                raise InputError(f"unreadable cursor file ({err}); delete it to start over", path=str(self.path)) from err
            self.extra = dict(self.state.get("extra", {}))

    def start(self, key: dict[str, Any], slices: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int, int]:
        """Slices and position to work on: the saved ones when ``key`` matches, else a fresh start."""
        if self.state is not None:
            if self.state.get("key") != key:
                raise InputError(
                    f"cursor belongs to another fetch ({self.state.get('key')}); delete it or use another cursor file",
                    path=str(self.path),
                )
            return self.state["slices"], self.state["slice"], self.state["retstart"]
        self.state = {"key": key, "slices": slices, "slice": 0, "retstart": 0}
        self.save()
        return slices, 0, 0

    @property
    def resuming(self) -> bool:
        """True when the file held a checkpoint of an unfinished fetch."""
        return self.state is not None

    def checkpoint(self, slice_index: int, retstart: int) -> None:
        """Record that everything before ``retstart`` of slice ``slice_index`` has been delivered."""
        assert self.state is not None
        self.state.update({"slice": slice_index, "retstart": retstart, "extra": self.extra})
        self.save()

    def save(self) -> None:
        """Write the state atomically (temp file + rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.state), encoding="utf-8")
        os.replace(tmp, self.path)

    def finish(self) -> None:
        """The fetch is complete: remove the file."""
        self.path.unlink(missing_ok=True)
        self.state = None


class _Retry(Exception):
    """A transient failure worth another try (``retry_after``: seconds the server asked to wait)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class EUtils:
    """A PubMed E-utilities client (see the module docstring for its guarantees)."""

    base_url: str = NCBI_URL
    email: str | None = None
    api_key: str | None = field(default=None, repr=False)
    tool: str = "litgraph"
    requests_per_second: float | None = None  # default: 10 with an API key, else 3
    max_tries: int = 6
    missing_tries: int = 3  # times a record that a batch lacked is asked for again by id
    backoff: float = 1.0  # seconds before the first retry; doubles each time, with jitter
    timeout: float = 60.0
    batch_size: int = 500  # records per efetch
    post_size: int = 5000  # PMIDs per epost
    limiter: RateLimiter = field(default=RATE_LIMITER, repr=False)
    #: PMIDs the last fetch asked for and never received (also reported to ``on_error`` as ``MISSING``).
    missing: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def from_settings(cls, settings, **options) -> "EUtils":
        """A client configured from ``Settings``: eutils_url, ncbi_email, ncbi_api_key and the efetch batch
        size ``eutils_batch`` (``LITGRAPH_EUTILS_BATCH``, default 500, NCBI allows 10,000)."""
        options.setdefault("batch_size", settings.eutils_batch)
        return cls(base_url=settings.eutils_url, email=settings.ncbi_email, api_key=settings.ncbi_api_key, **options)

    @property
    def rate(self) -> float:
        return self.requests_per_second or (10.0 if self.api_key else 3.0)

    # ------------------------------------------------------------------------------ transport

    def _url(self, utility: str) -> str:
        return self.base_url.rstrip("/") + f"/{utility}.fcgi"

    def _params(self, params: dict[str, Any]) -> dict[str, str]:
        full = {"tool": self.tool, "email": self.email, "api_key": self.api_key, **params}
        return {k: str(v) for k, v in full.items() if v is not None}

    def _call(self, utility: str, params: dict[str, Any], parse, *, post: bool = False):
        """Send one request, retrying transient failures; ``parse(body)`` may raise ``_Retry``."""
        data = urllib.parse.urlencode(self._params(params))
        for attempt in range(1, self.max_tries + 1):
            try:
                self.limiter.wait(self.rate)
                body = self._send(utility, data, post)
                return parse(body)
            except _Retry as err:
                if attempt == self.max_tries:
                    raise InputError(
                        f"E-utilities {utility} kept failing after {attempt} tries: {err}; "
                        "check LITGRAPH_EUTILS_URL and try again later"
                    ) from err
                delay = self.backoff * 2 ** (attempt - 1) * (0.5 + random.random())
                if err.retry_after:
                    delay = max(delay, err.retry_after)
                log.info("%s: %s; retry %d/%d in %.2fs", utility, err, attempt, self.max_tries - 1, delay)
                time.sleep(min(delay, 120.0))
        raise AssertionError("unreachable")

    def _send(self, utility: str, data: str, post: bool) -> bytes:
        url = self._url(utility)
        if post:
            request = urllib.request.Request(url, data=data.encode("ascii"), method="POST")
        else:
            request = urllib.request.Request(f"{url}?{data}", method="GET")
        request.add_header("User-Agent", f"{self.tool} (Python urllib)")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as err:
            if err.code == 429 or err.code >= 500:
                header = err.headers.get("Retry-After", "") if err.headers else ""
                wait = float(header) if header.replace(".", "", 1).isdigit() else None
                raise _Retry(f"HTTP {err.code}", retry_after=wait) from err
            snippet = redact(err.read(300).decode("utf-8", "replace").strip(), secrets=[self.api_key or ""])
            raise InputError(f"E-utilities {utility} rejected the request (HTTP {err.code}): {snippet}") from err
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as err:
            raise _Retry(redact(f"{type(err).__name__}: {err}", secrets=[self.api_key or ""])) from err
        except ValueError as err:  # urllib: not a URL it can open
            raise InputError(f"E-utilities URL {redact(self.base_url)!r} cannot be opened ({type(err).__name__}); "
                             "set LITGRAPH_EUTILS_URL to an http:// or https:// URL") from None

    # ------------------------------------------------------------------------------ utilities

    @staticmethod
    def _read_entrez(body: bytes, utility: str) -> dict[str, Any]:
        try:
            return Entrez.read(io.BytesIO(body))
        except (CorruptedXMLError, NotXMLError) as err:
            raise _Retry(f"truncated or non-XML {utility} answer") from err
        except ValidationError as err:
            raise InputError(f"unexpected {utility} answer ({err}); is LITGRAPH_EUTILS_URL an E-utilities server?") from err
        except RuntimeError as err:  # Bio.Entrez raises this for <ERROR> elements
            raise InputError(f"E-utilities {utility} answered with an error: {err}; check the query or PMIDs") from err

    def esearch(self, term: str, *, mindate: str | None = None, maxdate: str | None = None,
                datetype: str | None = None, retmax: int = 0, usehistory: bool = True) -> dict[str, Any]:
        """One PubMed esearch; returns Bio.Entrez's record (Count, IdList, WebEnv, QueryKey)."""
        params = {"db": "pubmed", "term": term, "retmax": retmax, "mindate": mindate, "maxdate": maxdate,
                  "datetype": datetype if mindate else None, "usehistory": "y" if usehistory else None}
        return self._call("esearch", params, lambda body: self._read_entrez(body, "esearch"), post=len(term) > 1000)

    def epost(self, pmids: Iterable[str]) -> tuple[str, str]:
        """Post PMIDs to the history server; returns (WebEnv, query_key)."""
        result = self._call("epost", {"db": "pubmed", "id": ",".join(pmids)},
                            lambda body: self._read_entrez(body, "epost"), post=True)
        return result["WebEnv"], result["QueryKey"]

    def efetch(self, webenv: str, query_key: str, retstart: int, retmax: int,
               on_error: OnError | None = None) -> list[Record]:
        """One batch of PubMed XML records from the history server."""
        params = {"db": "pubmed", "WebEnv": webenv, "query_key": query_key, "retstart": retstart,
                  "retmax": retmax, "retmode": "xml"}
        return self._efetch_records(params, on_error)

    def _efetch_records(self, params: dict[str, Any], on_error: OnError | None, post: bool = False) -> list[Record]:
        """The records of one efetch call (a malformed answer is retried); unparsable records go to ``on_error``."""
        failures: list[tuple[str, str]] = []

        def parse(body: bytes) -> list[Record]:
            failures.clear()
            try:
                return list(parse_pubmed_xml(io.BytesIO(body), "pubmed", on_error=lambda p, r: failures.append((p, r))))
            except InputError as err:
                raise _Retry(str(err).removeprefix("pubmed: ")) from err

        records = self._call("efetch", params, parse, post=post)
        for pmid, reason in failures:
            if on_error is not None:
                on_error(pmid, reason)
        return records

    # ------------------------------------------------------------------------------ planning

    def plan_query(self, term: str, since: datetime.date | None = None) -> list[dict[str, Any]]:
        """Split a query into slices of at most 10,000 hits (by publication date, or by
        modification date from ``since``); each slice is ``{term, mindate, maxdate, datetype, count}``."""
        today = datetime.date.today()
        if since is not None:
            return self._split(term, "mdat", since, today)
        count = int(self.esearch(term, usehistory=False)["Count"])
        if count <= MAX_HITS:
            return [{"term": term, "mindate": None, "maxdate": None, "datetype": None, "count": count}]
        slices = self._split(term, "pdat", _FIRST_DAY, today.replace(year=today.year + 5))
        found = sum(s["count"] for s in slices)
        if found != count:
            log.warning("query %r: %d hits in all, %d in its date slices (records without a usable date are missed)",
                        term, count, found)
        return slices

    def _split(self, term: str, datetype: str, first: datetime.date, last: datetime.date,
               count: int | None = None) -> list[dict[str, Any]]:
        mindate, maxdate = first.strftime(_DATE_FMT), last.strftime(_DATE_FMT)
        if count is None:
            count = int(self.esearch(term, mindate=mindate, maxdate=maxdate, datetype=datetype, usehistory=False)["Count"])
        if count == 0:
            return []
        if count <= MAX_HITS or first == last:
            if count > MAX_HITS:
                log.warning("query %r has %d hits on %s alone; only the first %d are fetched", term, count, mindate, MAX_HITS)
            return [{"term": term, "mindate": mindate, "maxdate": maxdate, "datetype": datetype, "count": min(count, MAX_HITS)}]
        middle = first + (last - first) // 2
        return self._split(term, datetype, first, middle) + self._split(term, datetype, middle + datetime.timedelta(days=1), last)

    def search_pmids(self, term: str, since: datetime.date | None = None) -> list[str]:
        """All PMIDs of a query (date-split when it has more than 10,000 hits)."""
        pmids: list[str] = []
        for s in self.plan_query(term, since):
            if s["count"]:
                result = self.esearch(s["term"], mindate=s["mindate"], maxdate=s["maxdate"], datetype=s["datetype"],
                                      retmax=MAX_HITS, usehistory=False)
                pmids.extend(result["IdList"])
        return list(dict.fromkeys(pmids))

    @staticmethod
    def plan_pmids(pmids: list[str], post_size: int) -> list[dict[str, Any]]:
        """PMID list slices, one epost each."""
        return [{"pmids": pmids[i:i + post_size], "count": len(pmids[i:i + post_size])} for i in range(0, len(pmids), post_size)]

    # ------------------------------------------------------------------------------ fetching

    def fetch_query(self, term: str, *, since: datetime.date | None = None, cursor: Cursor | None = None,
                    on_error: OnError | None = None, progress: bool = False) -> Iterator[Record]:
        """Every record of a PubMed query (created or modified since ``since`` when given)."""
        key = {"query": term, "since": since.isoformat() if since else None}
        slices = None if cursor is not None and cursor.resuming else self.plan_query(term, since)
        yield from self._fetch(key, slices, cursor, on_error, progress)

    def fetch_pmids(self, pmids: Iterable[str], *, cursor: Cursor | None = None, on_error: OnError | None = None,
                    progress: bool = False) -> Iterator[Record]:
        """The records of a PMID list (posted in batches, fetched from the history server)."""
        pmids = list(dict.fromkeys(str(p).strip() for p in pmids if str(p).strip()))
        bad = [p for p in pmids if not p.isdigit()]
        if bad:
            raise InputError(f"not PMIDs: {', '.join(bad[:5])}; PMIDs are numbers")
        key = {"pmids": len(pmids), "first": pmids[:1], "last": pmids[-1:]}
        yield from self._fetch(key, self.plan_pmids(pmids, self.post_size), cursor, on_error, progress)

    def efetch_ids(self, pmids: list[str], on_error: OnError | None = None) -> list[Record]:
        """The records of the given PMIDs, fetched by id (used to ask again for records a batch lacked)."""
        return self._efetch_records({"db": "pubmed", "id": ",".join(pmids), "retmode": "xml"}, on_error,
                                    post=len(pmids) > 200)

    def _fetch(self, key, slices, cursor: Cursor | None, on_error, progress: bool) -> Iterator[Record]:
        """Fetch every slice in batches, checking what arrived against what was asked for.

        The PMIDs of a slice are known (the posted list, or the search's IdList); what a slice's batches
        did not deliver (a short answer, a record dropped on the way) is asked for again by id up to
        ``missing_tries`` times, and what still does not arrive goes to ``on_error(pmid, MISSING)`` and
        ``self.missing``. With a cursor, the PMIDs already delivered in the current slice are saved at
        every checkpoint, so a resumed fetch checks the slice as a whole.
        """
        self.missing = []
        start_slice = start_at = 0
        if cursor is not None:
            slices, start_slice, start_at = cursor.start(key, slices)
        total = sum(s["count"] for s in slices)
        done = sum(s["count"] for s in slices[:start_slice]) + start_at
        bar = tqdm(total=total, initial=done, unit="rec", desc="pubmed", disable=not progress, file=sys.stderr)
        reported: set[str] = set()

        def note_error(pmid: str, reason: str) -> None:
            reported.add(str(pmid))
            if on_error is not None:
                on_error(pmid, reason)

        try:
            for index in range(start_slice, len(slices)):
                s = slices[index]
                if "pmids" in s:
                    webenv, query_key = self.epost(s["pmids"])
                    count, expected = len(s["pmids"]), list(s["pmids"])
                else:
                    if not s["count"]:
                        continue
                    found = self.esearch(s["term"], mindate=s["mindate"], maxdate=s["maxdate"], datetype=s["datetype"],
                                         retmax=MAX_HITS)
                    webenv, query_key, count = found["WebEnv"], found["QueryKey"], min(int(found["Count"]), MAX_HITS)
                    expected = [str(i) for i in found.get("IdList", [])]
                resuming = index == start_slice and cursor is not None and start_at
                arrived: set[str] = set(cursor.extra.get("arrived", [])) if resuming else set()
                if resuming and "arrived" not in cursor.extra:
                    expected = []  # a cursor of an older litgraph: the delivered part of this slice is unknown
                retstart = start_at if index == start_slice else 0
                while retstart < count:
                    size = min(self.batch_size, count - retstart)
                    records = self.efetch(webenv, query_key, retstart, size, note_error)
                    got = {r.pmid for r in records} | reported
                    if len(records) < size:
                        log.info("efetch %d+%d gave %d records; the missing ones are asked for again", retstart, size,
                                 len(records))
                    for record in records:
                        if record.pmid in arrived:
                            continue  # delivered twice (a history answer that overlaps): once is enough
                        arrived.add(record.pmid)
                        yield record
                    arrived |= got
                    bar.update(size)
                    retstart += size
                    if cursor is not None:
                        cursor.extra["arrived"] = sorted(arrived)
                        cursor.checkpoint(index, retstart)
                yield from self._recover([p for p in expected if p not in arrived and p not in reported], note_error)
                if cursor is not None:
                    cursor.extra.pop("arrived", None)
                    cursor.checkpoint(index + 1, 0)
        finally:
            bar.close()
        if cursor is not None:
            cursor.finish()

    def _recover(self, missing: list[str], on_error) -> Iterator[Record]:
        """Ask again, by id, for the PMIDs a slice's batches did not deliver; report those that never come."""
        for attempt in range(1, self.missing_tries + 1):
            if not missing:
                return
            log.warning("%d requested record(s) did not arrive (%s%s); asking again (%d/%d)", len(missing),
                        ", ".join(missing[:5]), ", ..." if len(missing) > 5 else "", attempt, self.missing_tries)
            wanted = set(missing)
            for start in range(0, len(missing), self.batch_size):
                for record in self.efetch_ids(missing[start:start + self.batch_size], on_error):
                    if record.pmid in wanted:
                        wanted.discard(record.pmid)
                        yield record
            missing = [p for p in missing if p in wanted]
            if missing and attempt < self.missing_tries:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
        for pmid in missing:
            self.missing.append(pmid)
            log.warning("PMID %s: %s", pmid, MISSING)
            if on_error is not None:
                on_error(pmid, MISSING)

