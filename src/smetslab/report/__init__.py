"""smetslab.report: the ranked table and the self-contained HTML report of a compare run.

Reads results (the fleet engine's DuckDB file and the saved sensitivity sweeps); never recomputes them.
"""

from smetslab.report.html import build_report, render_report
from smetslab.report.ranking import BASELINE, MetricCell, RankedOption, ranking

__all__ = ["BASELINE", "MetricCell", "RankedOption", "build_report", "ranking", "render_report"]
