"""``litgraph.store.base.read_ahead``: the producer's items in order, its errors in the consumer, and no thread
left behind when the consumer stops early (the Neo4j bulk load prepares its batches this way)."""

from __future__ import annotations

import threading

import pytest

from litgraph.store.base import read_ahead


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "litgraph-read-ahead"]


def test_items_arrive_in_order_from_another_thread():
    producers = []

    def items():
        for i in range(50):
            producers.append(threading.current_thread())
            yield i

    assert list(read_ahead(items())) == list(range(50))
    assert set(producers) != {threading.current_thread()} and not _workers()


def test_an_error_in_the_producer_reaches_the_consumer_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("batch 3 is broken")

    seen = []
    with pytest.raises(ValueError, match="batch 3 is broken"):
        for item in read_ahead(items()):
            seen.append(item)
    assert seen == [1, 2] and not _workers()


def test_leaving_early_stops_the_producer():
    made = []

    def items():
        for i in range(1000):
            made.append(i)
            yield i

    for item in read_ahead(items(), depth=2):
        if item == 3:
            break
    assert not _workers()
    assert len(made) < 10  # it stopped a few items ahead, not at the end
