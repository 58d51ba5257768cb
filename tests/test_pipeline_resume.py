"""A build killed with SIGKILL at random points and started again ends with the graph of a clean build."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from litgraph.pipeline import build
from litgraph.settings import Settings
from tests.fixtures.pipeline import graph_snapshot, snapshot_diff, write_slices


def _command(folder, graph) -> list[str]:
    return [sys.executable, "-m", "litgraph", "-v", "build", str(folder), "--annotated", "--graph", str(graph),
            "--batch-size", "8", "--no-progress"]


def _run_and_kill(folder, graph, env, after_batches: int, extra: float) -> bool:
    """Start a build, SIGKILL it ``extra`` seconds after its ``after_batches``-th durable batch.

    Returns False when the build finished before it could be killed."""
    proc = subprocess.Popen(_command(folder, graph), env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = 0
    for line in proc.stderr:
        if "records in the graph" in line:
            seen += 1
            if seen == after_batches:
                time.sleep(extra)
                break
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return True


def test_build_killed_twice_at_random_points_resumes_to_a_clean_graph(cdr_docs, tmp_path, data_dir, normaliser,
                                                                      normaliser_settings):
    folder = tmp_path / "src"
    write_slices(cdr_docs[:96], folder, per_file=32)  # 3 units of 4 batches each
    models = str(normaliser_settings.models)
    env = {**os.environ, "LITGRAPH_CORPORA": str(data_dir), "LITGRAPH_MODELS": models}
    clean = Settings.from_env(corpora=str(data_dir), models=models, graph=str(tmp_path / "clean"))
    build([str(folder)], clean, annotated=True, batch_size=8, progress=False)

    resumed = Settings.from_env(corpora=str(data_dir), models=models, graph=str(tmp_path / "resumed"))
    seed = int(os.environ.get("LITGRAPH_TEST_SEED", time.time()))
    rng = random.Random(seed)
    kills = 0
    for _ in range(2):
        if _run_and_kill(folder, resumed.graph, env, rng.randint(1, 10), rng.uniform(0.0, 0.4)):
            kills += 1
    assert kills >= 1, f"seed {seed}"
    report = build([str(folder)], resumed, annotated=True, batch_size=8, progress=False)
    assert report.records_resumed > 0 or report.units_skipped > 0
    assert report.failures == []
    first, second = graph_snapshot(resumed), graph_snapshot(clean)
    assert first == second, f"seed {seed}: {snapshot_diff(first, second)}"
