"""cemlab: a research workbench for Customer Experience Management surveys.

Load a client's survey against an instrument, run the analyses a CX consultant needs,
and render one HTML report per client.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cemlab")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from cemlab import plots  # noqa: E402
from cemlab.agreement import agreement, agreement_gap  # noqa: E402
from cemlab.benchmarks import list_benchmarks, load_benchmark  # noqa: E402
from cemlab.correlation import (  # noqa: E402
    correlation_matrix,
    correlations,
    correlations_with,
    top_pairs,
)
from cemlab.drivers import importance_performance, journey_drivers, key_drivers  # noqa: E402
from cemlab.exceptions import (  # noqa: E402
    AnalysisError,
    CemlabError,
    DataError,
    InstrumentError,
    ParamsError,
    RenderError,
)
from cemlab.findings import findings  # noqa: E402
from cemlab.instrument import Instrument, list_instruments, load_instrument  # noqa: E402
from cemlab.io import load, read_table  # noqa: E402
from cemlab.nps import nps, nps_difference  # noqa: E402
from cemlab.params import Client, Params, load_client, load_params  # noqa: E402
from cemlab.reliability import cronbach_alpha, item_reliability, reliability  # noqa: E402
from cemlab.render import BatchResult, ClientResult, render_batch, render_client  # noqa: E402
from cemlab.scorecard import dimension_scorecard, scorecard  # noqa: E402
from cemlab.study import practice_brief, practice_view, reproduce_2008  # noqa: E402
from cemlab.survey import QualityLog, Survey  # noqa: E402
from cemlab.trend import nps_trend, trend  # noqa: E402

__all__ = [
    "__version__",
    "plots",
    "BatchResult",
    "ClientResult",
    "render_batch",
    "render_client",
    "practice_brief",
    "practice_view",
    "reproduce_2008",
    "agreement",
    "agreement_gap",
    "dimension_scorecard",
    "scorecard",
    "correlation_matrix",
    "correlations",
    "correlations_with",
    "findings",
    "top_pairs",
    "AnalysisError",
    "CemlabError",
    "DataError",
    "Instrument",
    "InstrumentError",
    "ParamsError",
    "QualityLog",
    "RenderError",
    "Survey",
    "list_benchmarks",
    "list_instruments",
    "load_benchmark",
    "load_instrument",
    "Client",
    "Params",
    "load",
    "load_client",
    "load_params",
    "read_table",
    "cronbach_alpha",
    "importance_performance",
    "item_reliability",
    "journey_drivers",
    "key_drivers",
    "nps",
    "nps_difference",
    "nps_trend",
    "reliability",
    "trend",
]
