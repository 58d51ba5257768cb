"""The main job: fetch → extract → normalise → load, kept current by refresh, scaled out on Ray.

``build(sources, settings)`` and ``refresh(settings)`` return a ``BuildReport``; see docs/pipeline.md.
"""

from litgraph.pipeline.build import build, refresh
from litgraph.pipeline.report import BuildReport, Failure

__all__ = ["build", "refresh", "BuildReport", "Failure"]
