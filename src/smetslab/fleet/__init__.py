"""smetslab.fleet: the vectorised Monte Carlo over premises x options x replicates (numpy; local processes
by default, Dask on request), results in DuckDB. Scenario files load with
``smetslab.interfaces.config.load_scenario``."""

from smetslab.fleet.engine import RunSummary, run, run_in_memory
from smetslab.fleet.metrics import METRICS, MetricInfo
from smetslab.fleet.scenario import Scenario, SweepSpec
from smetslab.fleet.store import SummaryRow, export, summarise
from smetslab.policy.options import OPTIONS, OptionInfo

__all__ = [
    "OPTIONS",
    "OptionInfo",
    "METRICS",
    "MetricInfo",
    "Scenario",
    "SweepSpec",
    "run",
    "run_in_memory",
    "RunSummary",
    "summarise",
    "SummaryRow",
    "export",
]
