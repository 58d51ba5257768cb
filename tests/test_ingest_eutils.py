"""The E-utilities client and the fetch layer against a real local E-utilities server (127.0.0.1)."""

from __future__ import annotations

import datetime
import json
import threading

import pytest

from litgraph.connectors.eutils import MAX_HITS, Cursor, EUtils, RateLimiter
from litgraph import fetch
from litgraph.errors import InputError
from litgraph.records import Document


@pytest.fixture()
def client(eutils_server):
    """A fast client (the tests' server has no rate limit to respect)."""
    return EUtils(eutils_server.url, email="dev@example.org", api_key="secret-key", requests_per_second=200,
                  backoff=0.005, batch_size=10, limiter=RateLimiter())


def pmids(records):
    return [r.pmid for r in records]


def test_query_through_the_history_server(eutils_server, client, sample_articles):
    records = list(client.fetch_query("all[sb]"))
    assert sorted(pmids(records)) == sorted(sample_articles)  # every record once
    fetches = [p for _, u, p, _ in eutils_server.requests if u == "efetch"]
    assert len(fetches) == 7 and all(p["WebEnv"].startswith("MCID_") and p["query_key"] for p in fetches)
    assert [int(p["retstart"]) for p in fetches] == list(range(0, 70, 10))
    for _, _, params, _ in eutils_server.requests:  # identification sent with every request
        assert params["tool"] == "litgraph" and params["email"] == "dev@example.org" and params["api_key"] == "secret-key"


def test_query_terms_are_searched(eutils_server, client, sample_articles):
    records = list(client.fetch_query("glioma"))
    assert set(pmids(records)) == {p for p, a in sample_articles.items() if "glioma" in a.text}
    assert "41576697" in pmids(records) and len(records) < len(sample_articles)


def test_more_than_10000_hits_are_split_by_date(eutils_server, client, sample_articles):
    eutils_server.split_threshold = 8  # a search matching more than 8 records reports over 10,000 hits
    records = list(client.fetch_query("all[sb]"))
    assert sorted(pmids(records)) == sorted(sample_articles)
    searches = [p for _, u, p, _ in eutils_server.requests if u == "esearch"]
    assert any(p.get("datetype") == "pdat" and p.get("mindate") for p in searches)
    history = [p for p in searches if p.get("usehistory") == "y"]
    assert len(history) >= 68 // 8  # one history search per date slice, each fetched separately
    assert all(p.get("mindate") and p.get("maxdate") for p in history)


def test_shards_of_a_big_query_cover_every_pmid_once(eutils_server, settings, sample_articles, monkeypatch):
    eutils_server.split_threshold = 8
    monkeypatch.setattr(fetch, "SHARD_SIZE", 25)
    settings = settings.with_(eutils_url=eutils_server.url, ncbi_api_key="key")  # 10 requests/s
    parts = fetch.shards("pubmed:all[sb]", settings)
    assert len(parts) == 3 and all(p.startswith("pmid:") for p in parts)
    ids = [i for p in parts for i in p.removeprefix("pmid:").split(",")]
    assert sorted(ids) == sorted(sample_articles)


def test_every_record_arrives_once_despite_20_percent_failures(eutils_server, client, sample_articles):
    eutils_server.fail_rate = 0.2
    records = list(client.fetch_query("all[sb]")) + list(client.fetch_pmids(sorted(sample_articles)))
    assert sorted(pmids(records)) == sorted(list(sample_articles) * 2)
    outcomes = {o for _, _, _, o in eutils_server.requests}
    assert {"429", "500", "truncated"} <= outcomes


def test_pmid_lists_are_posted_in_batches(eutils_server, client, sample_articles):
    client.post_size = 30
    wanted = sorted(sample_articles)[:65] + ["99999999"]  # an unknown PMID simply does not come back
    records = list(client.fetch_pmids(wanted))
    assert sorted(pmids(records)) == sorted(wanted[:65])
    posts = [p for _, u, p, _ in eutils_server.requests if u == "epost"]
    assert [len(p["id"].split(",")) for p in posts] == [30, 30, 6]


def test_interrupted_fetch_resumes_from_its_cursor(eutils_server, client, sample_articles, tmp_path):
    cursor_path = tmp_path / "fetch.cursor"
    first = []
    for record in client.fetch_query("all[sb]", cursor=Cursor(cursor_path)):
        first.append(record.pmid)
        if len(first) == 25:  # stop in the middle of the third batch
            break
    assert cursor_path.exists()
    done = len(first) // 10 * 10  # batches fully delivered before the stop
    eutils_server.requests.clear()
    rest = pmids(client.fetch_query("all[sb]", cursor=Cursor(cursor_path)))
    assert sorted(first[:done] + rest) == sorted(sample_articles)
    assert len(rest) == len(sample_articles) - done
    assert [int(p["retstart"]) for _, u, p, _ in eutils_server.requests if u == "efetch"][0] == done
    assert eutils_server.count("esearch") == 1  # the plan came from the cursor, not from new searches
    assert not cursor_path.exists()  # removed when the fetch completed


def test_cursor_of_another_query_is_refused(eutils_server, client, tmp_path):
    cursor = tmp_path / "c.json"
    iterator = client.fetch_query("all[sb]", cursor=Cursor(cursor))
    next(iterator)
    iterator.close()
    with pytest.raises(InputError, match="cursor belongs to another fetch"):
        next(client.fetch_query("glioma", cursor=Cursor(cursor)))


def test_since_asks_for_modification_dates(eutils_server, client, sample_articles):
    since = datetime.date(2026, 1, 30)
    records = list(client.fetch_query("all[sb]", since=since))
    expected = {p for p, a in sample_articles.items() if a.dates["mdat"] and a.dates["mdat"] >= since}
    assert set(pmids(records)) == expected and 0 < len(expected) < len(sample_articles)
    assert all(p.get("datetype") == "mdat" for _, u, p, _ in eutils_server.requests if u == "esearch")


def test_rate_limit_is_shared_by_threads(eutils_server):
    limiter = RateLimiter()
    clients = [EUtils(eutils_server.url, requests_per_second=20, limiter=limiter) for _ in range(2)]
    threads = [threading.Thread(target=lambda c=c: [c.esearch("glioma") for _ in range(5)]) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = sorted(t for t, _, _, _ in eutils_server.requests)
    assert len(times) == 10
    assert times[-1] - times[0] >= 9 / 20 * 0.8  # 10 requests at 20/s: 0.45 s from first to last
    assert EUtils(eutils_server.url).rate == 3 and EUtils(eutils_server.url, api_key="k").rate == 10


def test_error_page_and_bad_requests_are_input_errors(eutils_server, client):
    eutils_server.error_page = True
    client.max_tries = 2
    with pytest.raises(InputError, match="esearch kept failing after 2 tries: truncated or non-XML esearch answer"):
        list(client.fetch_query("all[sb]"))
    eutils_server.error_page = False
    with pytest.raises(InputError, match="epost answered with an error: Empty ID list"):
        client.epost(["abc"])
    assert "secret-key" not in repr(client)


def test_iter_records_online_sources(eutils_server, settings, sample_articles):
    settings = settings.with_(eutils_url=eutils_server.url, ncbi_email="dev@example.org")
    failures = []
    records = list(fetch.iter_records("pmid:41576520,9997", settings, progress=False, on_error=lambda *f: failures.append(f)))
    assert sorted(pmids(records)) == ["41576520", "9997"] and failures == []
    assert all(isinstance(r, Document) and r.source == "pubmed" for r in records)
    assert len(list(fetch.iter_records('pubmed:"glioma"', settings, progress=False))) >= 1
    assert fetch.source_files("pmid:1,2") == [] and MAX_HITS == 10_000


def test_short_efetch_answers_are_completed_by_asking_again(eutils_server, client, sample_articles):
    eutils_server.drop_tail = 1  # every history answer lacks its last record, as a well-formed answer
    failures = []
    records = list(client.fetch_query("all[sb]", on_error=lambda *f: failures.append(f)))
    assert sorted(pmids(records)) == sorted(sample_articles)  # every record, exactly once
    assert failures == [] and client.missing == []
    by_id = [p for _, u, p, o in eutils_server.requests if u == "efetch" and "id" in p and o == "ok"]
    assert by_id, "the missing records were asked for again by id"


def test_records_that_never_arrive_are_reported(eutils_server, client, sample_articles):
    from litgraph.connectors.eutils import MISSING

    lost = sorted(sample_articles)[:2]
    eutils_server.withhold = set(lost)
    client.missing_tries = 2
    failures = []
    records = list(client.fetch_pmids(sorted(sample_articles), on_error=lambda *f: failures.append(f)))
    assert sorted(pmids(records)) == sorted(set(sample_articles) - set(lost))
    assert client.missing == lost and sorted(failures) == [(p, MISSING) for p in lost]


def test_fetch_command_exits_1_and_lists_what_never_arrived(eutils_server, sample_articles, tmp_path, data_dir):
    from click.testing import CliRunner

    from litgraph.cli import main

    lost = sorted(sample_articles)[-1]
    eutils_server.withhold = {lost}
    eutils_server.drop_tail = 1
    env = {"LITGRAPH_EUTILS_URL": eutils_server.url, "LITGRAPH_EUTILS_BATCH": "20", "NCBI_API_KEY": "secret-key",
           "LITGRAPH_CORPORA": str(data_dir)}
    out = tmp_path / "docs.jsonl"
    result = CliRunner().invoke(main, ["fetch", "pubmed:all[sb]", "--out", str(out), "--no-progress"], env=env)
    assert result.exit_code == 1, result.output
    assert "1 requested record(s) never arrived" in result.output and lost in result.output
    assert "secret-key" not in result.output
    listing = out.with_name("docs.jsonl.missing")
    assert [line for line in listing.read_text().splitlines() if not line.startswith("#")] == [lost]
    assert len(out.read_text().splitlines()) == len(sample_articles) - 1
    # the next run resumes from the listing once the server has the record again
    eutils_server.withhold = set()
    more = tmp_path / "more.jsonl"
    result = CliRunner().invoke(main, ["fetch", f"pmid:@{listing}", "--out", str(more), "--no-progress"], env=env)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["pmid"] for line in more.read_text().splitlines()] == [lost]
