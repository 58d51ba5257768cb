"""--engine ray on a local Ray with 2 CPUs builds the same graph as the local engine."""

from __future__ import annotations

import pytest

from litgraph.pipeline import build
from tests.fixtures.pipeline import graph_snapshot, snapshot_diff


@pytest.fixture()
def settings(pipeline_settings):
    """A fresh graph, with the session's normalisation index."""
    return pipeline_settings

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_engine_builds_the_same_graph_as_the_local_engine(local_ray, cdr_folder, pubmed_folders, samples_dir,
                                                               settings, tmp_path):
    import shutil

    baseline, updates = pubmed_folders
    shutil.copy(samples_dir / "updatefiles" / "pubmed26n1335.xml.gz", updates)
    sources = [str(cdr_folder), str(baseline), str(updates)]
    on_ray = build(sources, settings, annotated=True, engine="ray", progress=False)
    assert on_ray.engine == "ray" and on_ray.units_processed == 4 + 2 + 1
    assert on_ray.articles_deleted == 6 and on_ray.failures == []

    local = settings.with_(graph=str(tmp_path / "local"))
    build(sources, local, annotated=True, engine="local", progress=False)
    first, second = graph_snapshot(settings), graph_snapshot(local)
    assert first == second, snapshot_diff(first, second)

    again = build(sources, settings, annotated=True, engine="ray", progress=False)
    assert (again.units_skipped, again.units_processed) == (7, 0)


def test_a_shard_that_breaks_midway_keeps_its_records_and_is_marked_failed(local_ray, samples_dir, settings, tmp_path):
    import gzip

    from litgraph.errors import InputError
    from litgraph.pipeline.ledger import Ledger
    from litgraph.store import open_store

    folder = tmp_path / "baseline"
    folder.mkdir()
    data = gzip.compress(gzip.decompress((samples_dir / "baseline" / "pubmed26n1334.xml.gz").read_bytes()))
    (folder / "pubmed26n0001.xml.gz").write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(InputError, match="truncated gzip"):
        build([str(folder)], settings, annotated=True, engine="ray", workers=1, progress=False)
    with open_store(settings, read_only=True) as store:
        [failed] = Ledger(store).failed_units()
        assert "truncated gzip" in failed["reason"]
        assert store.stats()["articles"] == failed["records_kept"] > 0
