"""What the reliability, NPS, drivers and trend analyses share: reading their inputs.

Each takes a `Survey`, or a plain DataFrame of responses plus the instrument it answers, and a
``min_group_size`` that defaults to the survey's own (params ``min_group_size``, default 5).
"""

from __future__ import annotations

import pandas as pd

from cemlab.instrument import Instrument, load_instrument
from cemlab.survey import Survey


def as_survey(data: Survey | pd.DataFrame, instrument: Instrument | str | None = None) -> Survey:
    """``data`` as a Survey: a Survey unchanged, or a responses DataFrame with its instrument."""
    if isinstance(data, Survey):
        return data
    if isinstance(data, pd.DataFrame):
        if instrument is None:
            raise ValueError(
                "a DataFrame of responses needs its instrument: pass instrument=<Instrument, "
                "built-in name or YAML path>, or pass the Survey that cemlab.load returned"
            )
        return Survey(data, load_instrument(instrument))
    raise TypeError(f"expected a Survey or a DataFrame of responses, got {type(data).__name__}")


def group_size_threshold(survey: Survey, min_group_size: int | None) -> int:
    """The confidentiality threshold: the one given, else the survey's own."""
    threshold = survey.min_group_size if min_group_size is None else min_group_size
    if threshold < 1:
        raise ValueError(f"min_group_size must be at least 1, got {threshold}")
    return int(threshold)
