"""One coherent message per indicator (reporting.signals): case table and the demo regressions.

Verdicts are relative to the aim: +1 the way the aim wants, −1 against it, 0 no change.
"""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reporting.signals import Signals, opposing, read_signals, verdicts

FEB = date(2018, 2, 1)
GOLDEN_REPORTS = Path(__file__).resolve().parents[1] / "golden" / "demo" / "reports"
RECONCILED = ("Both can be true", "All can be true", "reporting lag")
DA_LAG: dict[str, Any] = {"lag_months": 3,
                          "lag_source": "Domestic-abuse flagged incidents and crimes (Kent Police)",
                          "lag_note": "outcomes of recent incidents may still be under investigation"}


def _signals(aim: str, status: str, spc: str | None, trend: int | None, periods: int = 1, **extra) -> Signals:
    return Signals(aim=aim, status=status, spc_key=spc, spc_month=FEB if spc else None,
                   trend_direction=trend, trend_periods=periods, report_month=FEB, **extra)


# (case, signals, verdicts, opposing)
VERDICT_CASES = [
    ("all good, aim decrease", _signals("decrease", "improving", "special_cause_improvement_low", -1),
     {"status": 1, "spc": 1, "trend": 1}, False),
    ("all bad, aim increase", _signals("increase", "worsening", "special_cause_concern_low", -1),
     {"status": -1, "spc": -1, "trend": -1}, False),
    ("common cause and flat are 0", _signals("increase", "no_significant_change", "common_cause", 0),
     {"status": 0, "spc": 0, "trend": 0}, False),
    ("not assessed, neutral icon, no trend are unknown",
     _signals("increase", "not_assessed", "special_cause_neutral_high", None),
     {"status": None, "spc": None, "trend": None}, False),
    ("a trend across a recording change is not compared",
     _signals("decrease", "worsening", None, -1, trend_comparable=False),
     {"status": -1, "spc": None, "trend": None}, False),
    ("status against SPC", _signals("decrease", "worsening", "special_cause_improvement_low", None),
     {"status": -1, "spc": 1, "trend": None}, True),
]


@pytest.mark.parametrize(("case", "signals", "expected", "opposed"), VERDICT_CASES,
                         ids=[c[0] for c in VERDICT_CASES])
def test_verdicts(case: str, signals: Signals, expected: dict, opposed: bool) -> None:
    assert verdicts(signals) == expected
    assert opposing(signals) is opposed


# The three demo rows that contradicted each other on main (February 2018 cards), as they were:
# NFA: Worsening (+21.4%), SPC "Improvement (low)", falling 3 months (the way the aim wants);
# DA incidents (aim increase): Improving, "Improvement (high)", falling for 1 month (against);
# MH referrals, young adults (aim increase): no significant change, "Concern (low)", rising 1 month.
MAIN_CONTRADICTIONS = {
    "da_nfa_victim_declined": _signals("decrease", "worsening", "special_cause_improvement_low", -1, 3, **DA_LAG),
    "da_incidents": _signals("increase", "improving", "special_cause_improvement_high", -1, 1),
    "mh_referrals_young_adults": _signals("increase", "no_significant_change", "special_cause_concern_low", 1, 1),
}


@pytest.mark.parametrize("indicator", list(MAIN_CONTRADICTIONS))
def test_main_contradictions_are_reconciled(indicator: str) -> None:
    signals = MAIN_CONTRADICTIONS[indicator]
    assert opposing(signals)
    reading = read_signals(signals)
    assert reading.reconciliation and any(key in reading.reconciliation for key in RECONCILED)
    assert reading.text.count(reading.reconciliation) == 1


def test_nfa_names_the_reporting_lag_as_the_likely_artefact() -> None:
    reading = read_signals(MAIN_CONTRADICTIONS["da_nfa_victim_declined"])
    assert reading.lag_artefact
    # Both the low February point and the 3-month fall are inside the 3-month lag.
    assert reading.reconciliation.startswith("The low February 2018 figure and the fall over the last 3 months "
                                             "are within the 3 months that the source (Domestic-abuse flagged "
                                             "incidents and crimes (Kent Police)) declares as still incomplete")
    assert "under investigation" in reading.reconciliation and "not a real change" in reading.reconciliation
    # The summary states the worsening year and does not join the lagged signals with "but".
    assert reading.summary.startswith("The latest 12 months are significantly higher than the 12 months "
                                      "before, against the aim")
    assert "but" not in reading.summary


@pytest.mark.parametrize(
    ("signals", "lagged"),
    [
        # A rise cannot be the doing of an undercount: no artefact named.
        (_signals("decrease", "worsening", "special_cause_concern_high", 1, 2, **DA_LAG), False),
        # A fall that began 4 months ago is older than the 3-month lag.
        (_signals("decrease", "worsening", "common_cause", -1, 4, **DA_LAG), False),
        (_signals("decrease", "worsening", "common_cause", -1, 3, **DA_LAG), True),
        # No lag declared: the same signals are read at face value.
        (_signals("decrease", "worsening", "special_cause_improvement_low", -1, 3), False),
    ],
)
def test_lag_applies_only_to_low_signals_inside_it(signals: Signals, lagged: bool) -> None:
    assert read_signals(signals).lag_artefact is lagged


def test_agreeing_signals_need_no_reconciliation() -> None:
    reading = read_signals(_signals("decrease", "improving", "special_cause_improvement_low", -1, 4))
    assert reading.reconciliation == ""
    assert reading.text == ("The latest 12 months are significantly lower than the 12 months before, the way "
                            "the aim wants; February 2018 was unusually low (an SPC improvement signal); the "
                            "rolling 12-month figure has been falling for 4 months, the way the aim wants.")


def test_recording_change_message_compares_nothing() -> None:
    reading = read_signals(_signals("decrease", "not_assessed", None, None, recording_change=True,
                                    trend_comparable=False,
                                    no_limits_reason="fewer points than the minimum since the last rebase"))
    assert "cannot be compared" in reading.text and "no trend across the recording change" in reading.text
    assert "rising" not in reading.text and "falling" not in reading.text


_TREND = {"up": 1, "down": -1, "flat": 0, "": None}


def _golden_rows() -> list[dict[str, str]]:
    rows = []
    for path in sorted(GOLDEN_REPORTS.glob("*/indicators.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
            rows += [r for r in csv.DictReader(io.StringIO(handle.read())) if r["area_type"] == "district"]
    return rows


def test_every_opposing_demo_row_carries_a_reconciling_sentence() -> None:
    """Opposition worked out from the published columns alone (status, SPC icon, trend, aim)."""
    rows = _golden_rows()
    assert rows, "no golden demo CSVs"
    opposed = []
    for r in rows:
        s = Signals(aim=r["aim"], status=r["status"], spc_key=r["spc_variation"] or None,
                    trend_direction=_TREND[r["trend_direction"]])
        if opposing(s):
            opposed.append(r["indicator_id"])
            assert any(key in r["message"] for key in RECONCILED), (r["indicator_id"], r["message"])
    # The demo has rows with opposing signals (so this test can fail): list them.
    assert sorted(set(opposed)) == ["da_incidents", "da_nfa_victim_declined", "mh_referrals_older_adults",
                                    "mh_referrals_young_adults"]


def test_no_trend_across_a_recording_change() -> None:
    """Rolling 12-month windows ending Jan 2017 … Feb 2018 around a change first applied in April 2017.

    Windows ending Mar 2017 or earlier are wholly old practice; those ending Apr 2017 – Feb 2018
    start May 2016 – Mar 2017 and so include April 2017 while starting before it: mixed. The
    latest (Mar 2017 – Feb 2018) is mixed, so no trend is stated, however the values move.
    """
    import pandas as pd

    from reporting.comparisons import current_trend

    ends = pd.date_range("2017-01-31", "2018-02-28", freq="ME")
    rolling = pd.DataFrame({"period_start": [(e - pd.DateOffset(months=11)).replace(day=1) for e in ends],
                            "period_end": ends, "value": range(100, 100 + len(ends))})
    cut = ((date(2017, 4, 1), "the change in recording: X (1 April 2017)"),)
    trend = current_trend(rolling, "decrease", "12m", cut)
    assert (trend.direction, trend.comparable) == (None, False)
    assert trend.text == "Not comparable: the latest 12 months include the change in recording: X (1 April 2017)"
    # Without the change the same values rise for 13 months.
    assert current_trend(rolling, "decrease", "12m").text == "Rising for 13 months (against the aim)"
    # A series that ends before the change: the trend is as before.
    before = current_trend(rolling[rolling["period_end"] <= "2017-03-31"], "decrease", "12m", cut)
    assert before.comparable and before.text == "Rising for 2 months (against the aim)"
