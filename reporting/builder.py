"""Card building: turns the warehouse snapshot into disclosure-controlled indicator cards.

Definitions used on the cards
-----------------------------
* **Latest / previous 12 months**: the ``12m`` rows of ``marts.indicator_values`` ending on the
  report month (survey indicators: the latest ``wave`` on or before it, and the wave before).
* **Current trend**: direction of the latest 12-month value against the 12-month value one month
  earlier, and for how many consecutive months it has moved that way (survey: waves). Coloured by
  the aim: blue when moving the way the plan wants, orange when not, grey when flat.
* **Baseline change since the plan year's start** (% for counts, rates and means; percentage points for
  percentages; "Not comparable" across a recording change): latest 12-month value against the 12 months
  ending the month before the plan year starts (plan 2018-19 starts 1 April 2018, so the baseline
  is the 12 months to 31 March 2018). Before the plan year starts the card says so and shows the
  % change since the same point a year earlier instead.
* **Stale source**: a monthly source whose latest loaded month is older than the report month.
  **Refused this month**: a file quarantined by a run for this period (or claiming this period).
* **SPC**: ``marts.indicator_spc`` / ``marts.indicator_spc_summary`` when they end on the report
  month; otherwise (absent, or built on later data) they are rebuilt in memory from the monthly
  values up to the report month with :func:`transforms.spc_mart.build_spc`, so a report for an
  earlier month never shows later data. Charts come from
  :func:`reporting.spc_charts.render_spc_charts` (history, limits, the 12-month "if we stay on our
  current course" baseline forecast and any target).

"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from reporting.actions import outcome_plan
from reporting.cards import (
    AIMS,
    STATUS,
    TAGS,
    Badge,
    IndicatorCard,
    MonthRow,
    OutcomeCard,
    PriorityCard,
    Trend,
    WardRow,
    tally,
    ward_withheld,
)
from reporting.cells import as_date, finite, required_date, split_list, split_sources
from reporting.chart_text import chart_alt_text
from reporting.charts import ASSURANCE_LABELS, VARIATION_LABELS
from reporting.comparisons import (
    against_target,
    change_from_previous,
    confidence_interval,
    count_change,
    current_trend,
    describe_status,
    values_for,
)
from reporting.coverage_text import indicator_data_line
from reporting.disclosure import DisclosureRules, is_missing, suppress_change
from reporting.figures import (
    COUNT_METHODS,
    FLAG_SECONDARY,
    NOT_APPLICABLE,
    PERCENT_METHODS,
    Shown,
    change_shown,
    change_units,
    missing_shown,
    not_comparable_shown,
    points_shown,
    rate_shown,
    relative_shown,
    unit_after_value,
    withheld_shown,
)
from reporting.forecast import baseline_forecast
from reporting.linked_counts import CountSystem, EarlierCounts, build_count_system
from reporting.maps import ward_map
from reporting.months import (
    add_months,
    end_of_month,
    first_of_month,
    long_date,
    month_range,
    short_month,
)
from reporting.notes import render_note
from reporting.peer_comparison import peer_tables
from reporting.ranking import publication_order
from reporting.signals import Signals, read_signals
from reporting.snapshot import PlanInfo, Snapshot, ward_vintage_label
from transforms.spc import NO_LIMITS_REASONS

__all__ = ["CardBuilder"]

log = logging.getLogger(__name__)

FORECAST_METHODS = {"ets_damped_trend_seasonal": "exponential smoothing with damped trend and seasonality",
                    "ets_damped_trend": "exponential smoothing with damped trend",
                    "linear_trend": "straight-line trend"}
# Text colour on each MDC badge colour that keeps WCAG AA contrast.
_BADGE_TEXT = {"#fab428": "#212b32"}


def _badge(key: Any, labels: Mapping[str, tuple[str, str, str]]) -> Badge | None:
    """The SPC icon of an SPC key (variation or assurance), None when there is none."""
    if is_missing(key) or str(key) not in labels:
        return None
    letter, colour, caption = labels[str(key)]
    return Badge(str(key), letter, colour, _BADGE_TEXT.get(colour, "#ffffff"), caption)


def _forecast_from(paths: Mapping[str, Path] | None, monthly: pd.DataFrame, method: str) -> pd.DataFrame:
    """The chart's own baseline forecast CSV, else a fresh one from the monthly values."""
    if paths and paths.get("forecast_csv") and Path(paths["forecast_csv"]).exists():
        try:
            return pd.read_csv(paths["forecast_csv"])
        except (pd.errors.EmptyDataError, OSError):
            return pd.DataFrame()
    if monthly.empty:
        return pd.DataFrame()
    months = [required_date(m) for m in monthly["period_start"]]
    values = [finite(v) for v in monthly["value"]]
    return baseline_forecast(months, values, horizon=12, ceiling=100.0 if method in PERCENT_METHODS else None)


def _chart_data(paths: Mapping[str, Path]) -> pd.DataFrame:
    """The points behind the chart (reporting.spc_charts writes them next to it)."""
    path = paths.get("data_csv")
    if not path or not Path(path).exists():
        return pd.DataFrame()
    data = pd.read_csv(path)
    data["month"] = pd.to_datetime(data["month"]).dt.date
    return data


def _with_public_label(data_source: str, label: str) -> str:
    """The data source as the card and workbook show it, with the public-data label where it applies."""
    return f"{data_source} ({label})" if label and data_source else label or data_source


class CardBuilder:
    """Turns the snapshot into disclosure-controlled cards (systems cached per indicator)."""

    def __init__(self, snap: Snapshot, info: PlanInfo, period: str, month_start: date, month_end: date,
                 area_code: str, rules: DisclosureRules, dq: dict[str, Any], spc: dict, spc_note: str,
                 charts: dict, notes: dict[str, Any], warnings: list[str],
                 earlier: Mapping[tuple[str, str], EarlierCounts] | None = None) -> None:
        self.snap, self.info, self.period, self.rules = snap, info, period, rules
        self.earlier = earlier or {}  # (indicator id, column): the previous publication's pattern
        self.month_start, self.month_end, self.area_code = month_start, month_end, area_code
        self.dq, self.spc, self.spc_note, self.charts = dq, spc, spc_note, charts
        self.notes, self.warnings = notes, warnings
        self.plan_started = month_end >= info.starts
        self.baseline_end = info.starts - timedelta(days=1)
        self._systems: dict[tuple[str, str], CountSystem | None] = {}
        values = snap.values
        self._by_key = {k: g for k, g in values.groupby(["priority_id", "outcome_id", "indicator_id"], sort=False)}

    # ---------------------------------------------------------------- the plan's cards
    def priorities(self) -> list[PriorityCard]:
        """One card per priority of the plan, its outcomes in plan order, each with its indicators."""
        catalogue = self.snap.catalogue
        out: list[PriorityCard] = []
        for p in self.info.priorities:
            rows = catalogue[catalogue["priority_id"] == p["id"]]
            outcomes = []
            for number, o in enumerate(p["outcomes"], start=1):
                cat_rows = rows[rows["outcome_id"] == o["id"]]
                cards = [self.indicator(r) for _, r in cat_rows.iterrows()]
                outcomes.append(OutcomeCard(o["id"], number, o["statement"], bool(o["draft"]), o["note"], cards,
                                            outcome_plan(self.snap.plan_actions, self.info.plan_year, o["id"],
                                                         self.month_end)))
            card = PriorityCard(p["id"], p["title"], p["kind"], p["leads"], outcomes, {})
            card.tally = tally(card.indicators)
            out.append(card)
        return out

    # ---------------------------------------------------------------- series access
    def _series(self, frame: pd.DataFrame, area_type: str, period_type: str) -> pd.DataFrame:
        part = frame[(frame["area_type"] == area_type) & (frame["period_type"] == period_type)]
        if area_type == "district":
            part = part[part["area_code"] == self.area_code]
        return part.sort_values("period_end")

    def _row_at(self, frame: pd.DataFrame, end: date) -> pd.Series | None:
        hit = frame[frame["period_end"] == end]
        return None if hit.empty else hit.iloc[0]

    def _system(self, indicator_id: str, column: str, monthly: pd.DataFrame, windows: dict,
                baseline: pd.Series | None, wards: pd.DataFrame | None) -> CountSystem | None:
        key = (indicator_id, column)
        if key not in self._systems:
            self._systems[key] = build_count_system(column, monthly, windows, baseline, wards, self.rules,
                                                    self.earlier.get(key), indicator_id in self.info.public)
        return self._systems[key]

    # ---------------------------------------------------------------- one indicator
    def indicator(self, cat: pd.Series) -> IndicatorCard:
        pid, oid, iid = cat["priority_id"], cat["outcome_id"], cat["indicator_id"]
        method = str(cat["method"])
        aim = str(cat["aim"])
        frame = self._by_key.get((pid, oid, iid), self.snap.values.iloc[0:0])
        monthly = self._series(frame, "district", "month")
        monthly = monthly[monthly["period_start"] <= self.month_start]
        window_type = "12m"
        rolling = self._series(frame, "district", "12m")
        latest = self._row_at(rolling, self.month_end)
        if latest is None:
            waves = self._series(frame, "district", "wave")
            if not waves.empty:
                window_type, rolling, latest = "wave", waves, waves.iloc[-1]
        base_row = None
        if self.plan_started and window_type == "12m":
            base_row = self._row_at(rolling, self.baseline_end)
        ward_rows = self._series(frame, "ward", "12m")
        ward_rows = (ward_rows[ward_rows["period_end"] == self.month_end] if window_type == "12m"
                     else ward_rows.iloc[0:0])

        counts_ok = method != "survey_share"
        # Financial-year-to-date totals are not published: with the 12-month totals they would
        # give each month that is in one window but not the other by subtraction.
        windows = {"12m": latest if window_type == "12m" else None}
        num = (self._system(iid, "numerator", monthly, windows, base_row, ward_rows if not ward_rows.empty else None)
               if counts_ok else None)
        den = None
        if method == "proportion":
            den = self._system(iid, "denominator", monthly, windows, base_row,
                               ward_rows if not ward_rows.empty else None)
        if counts_ok and num is None:
            self.warnings.append(f"{iid}: counts are not whole numbers, so none are shown")

        v = values_for(self.rules, method, latest, num, den, "cur", ("12m", "cur"))
        pv = values_for(self.rules, method, latest, num, den, "prev", ("12m", "prev"))

        # windows and labels
        if latest is not None and window_type == "12m":
            ps, pe = required_date(latest["period_start"]), required_date(latest["period_end"])
            window_range = month_range(ps, pe)
            prev_range = month_range(add_months(ps, -12), end_of_month(add_months(pe, -12)))
            window_label = f"12 months to {short_month(pe)}"
        elif latest is not None:
            ps, pe = required_date(latest["period_start"]), required_date(latest["period_end"])
            window_range = month_range(ps, pe)
            before = rolling[rolling["period_end"] < pe]
            prev_range = (f"{required_date(before.iloc[-1]['period_end']).year} survey wave" if not before.empty
                          else "no earlier wave")
            window_label = f"{pe.year} survey wave"
        else:
            window_range = prev_range = "no data"
            window_label = f"12 months to {short_month(self.month_end)}"

        change, change_pct = change_from_previous(self.rules, method, latest, v, pv)
        ci_lower, ci_upper, ci_text = confidence_interval(self.rules, method, latest, v["value"])
        status = str(latest["status"]) if latest is not None and not is_missing(latest["status"]) else "not_assessed"
        status_label, status_css = STATUS.get(status, (status.replace("_", " ").capitalize(), "status-notassessed"))
        if bool(cat.get("draft") or False):  # a verdict on a draft aim carries the mark wherever it is shown
            status_label += " (draft aim)"
        status_note = describe_status(latest, status)
        cuts = self._cuts(cat)
        baseline, baseline_note = self._baseline(method, latest, base_row, window_type, v, pv, num, cuts)
        trend = (current_trend(rolling, aim, window_type, cuts) if latest is not None
                 else Trend(None, 0, "No value for this period", "trend-neutral", ""))
        spc_row = self.spc.get((pid, iid))
        if spc_row is not None and as_date(spc_row.get("last_month")) != self.month_start:
            spc_row = None  # the series does not reach the report month: its icons describe another month
        variation = _badge(spc_row["variation_icon"], VARIATION_LABELS) if spc_row is not None else None
        target = finite(cat.get("target"))
        expected = self._expected_range(cat, method)
        assurance = (_badge(spc_row["assurance_icon"], ASSURANCE_LABELS)
                     if spc_row is not None and (target is not None or expected) else None)
        spc_note = (self._spc_note(spc_row) if window_type == "12m" else
                    "SPC needs a monthly series; the survey runs in waves.")
        target_text, target_variance = against_target(self.rules, target, v["value"])
        sources = split_sources(cat.get("source"))
        source_text = "; ".join(
            f"{self.info.source_titles[s][0]}, {self.info.source_titles[s][1]}" if s in self.info.source_titles else s
            for s in sources)
        dq_note, dq_css = self._dq_for(sources)
        kind = str(cat.get("kind") or "indicator")
        tag = None if is_missing(cat.get("tag")) else str(cat.get("tag"))
        group = "Population indicator" if kind != "performance_measure" else f"Performance measure: {TAGS[tag]}"
        card = IndicatorCard(
            priority_id=pid, outcome_id=oid, indicator_id=iid, label=str(cat["label"]),
            title=str(cat.get("title") or cat["label"]), definition=str(cat.get("definition") or ""),
            kind=kind, tag=tag, group=group, data_source=_with_public_label(str(cat.get("data_source") or ""),
                                                                           self.info.public.get(iid, "")),
            source_ids=sources, source_text=source_text, method=method,
            unit=unit_after_value(method, str(cat.get("unit") or "")),
            aim=aim, aim_text=AIMS.get(aim, aim), target=target, draft=bool(cat.get("draft") or False),
            caveats=self.info.caveats.get(iid) or split_list(cat.get("caveats")), window_type=window_type,
            window_label=window_label,
            window_range=window_range, prev_range=prev_range, value=v["value"], previous=pv["value"],
            numerator=v["numerator"], denominator=v["denominator"], prev_numerator=pv["numerator"],
            prev_denominator=pv["denominator"], change=change, change_pct=change_pct, ci_lower=ci_lower,
            ci_upper=ci_upper, ci_text=ci_text, status=status, status_label=status_label,
            status_css=status_css, status_note=status_note, variation=variation, assurance=assurance,
            spc_note=spc_note, trend=trend, baseline=baseline, baseline_note=baseline_note,
            target_text=target_text, target_variance=target_variance,
            recording_warning=self._recording(latest), dq_note=dq_note, dq_css=dq_css)
        if latest is not None:
            card.period_start, card.period_end = as_date(latest["period_start"]), as_date(latest["period_end"])
        card.change_unit, card.relative_unit = change_units(method, str(cat.get("unit") or ""))
        card.expected_range = expected
        reading = read_signals(self._signals(card, spc_row, latest))
        card.message, card.reconciliation = reading.summary, reading.reconciliation
        card.count_change = count_change(self.rules, num)
        card.months = self._months(method, monthly, num, den)
        card.wards = self._wards(method, ward_rows, num, den, v, pv)
        card.ward_vintage = ward_vintage_label(self.snap.ward_vintage) if card.wards else ""
        card.ward_map = ward_map(card, self.snap.maps, self.snap.area_name)
        if window_type == "12m" and not ward_rows.empty and not any(w.is_remainder for w in card.wards):
            card.ward_note = "Ward figures do not add up to the district total, so no remainder row is shown."
        card.public_label = self.info.public.get(iid, "")
        card.story = self._story(pid, iid)
        interpretation = cat.get("interpretation")
        card.interpretation = "" if is_missing(interpretation) else str(interpretation)
        note = cat.get("reference_note")
        card.reference_note = "" if is_missing(note) else str(note)
        if card.reference_note:
            card.caveats = [*card.caveats, card.reference_note + "."]
        card.peers, card.peer_note = peer_tables(self.snap.peers, iid, num, self.rules, self.area_code,
                                                self.snap.area_name)
        self._chart(card, monthly, num, den)
        return card

    @staticmethod
    def _expected_range(cat: pd.Series, method: str) -> str:
        """The plan's expected range in words ('' when none), e.g. '28–40% (SafeLives …)'."""
        low, high = finite(cat.get("expected_low")), finite(cat.get("expected_high"))
        if low is None or high is None:
            return ""
        unit = "%" if method in PERCENT_METHODS else ""
        source = "" if is_missing(cat.get("expected_source")) else f" ({cat.get('expected_source')})"
        return f"{low:g}{unit} to {high:g}{unit}{source}"

    def _cuts(self, cat: pd.Series) -> tuple[tuple[date, str], ...]:
        """(first month under the new practice, its name) of each recording change of the indicator."""
        raw = cat.get("recording_changes")
        ids = split_list(raw) if isinstance(raw, (list, tuple, np.ndarray)) else split_sources(raw)
        out = []
        for rid in ids:
            if rid in self.info.recording_changes:
                title, when = self.info.recording_changes[rid]
                month = first_of_month(when) if when.day == 1 else add_months(first_of_month(when), 1)
                out.append((month, f"the change in recording: {title} ({long_date(when)})"))
        return tuple(sorted(out))

    def _signals(self, card: IndicatorCard, spc_row: Any, latest: pd.Series | None) -> Signals:
        """What reporting.signals needs to read the card's status, SPC icon and trend together."""
        reason = None
        if spc_row is not None and card.variation is None and not is_missing(spc_row.get("no_limits_reason")):
            reason = NO_LIMITS_REASONS.get(str(spc_row["no_limits_reason"]))
        months, source, note = self.info.lags.get(card.indicator_id, (0, "", ""))
        return Signals(
            aim=card.aim, status=card.status,
            recording_change=latest is not None and bool(latest.get("crosses_recording_change") or False),
            period_word="12 months" if card.window_type == "12m" else "survey wave",
            spc_key=card.variation.key if card.variation is not None else None,
            spc_month=self.month_start if spc_row is not None else None, no_limits_reason=reason,
            trend_direction=card.trend.direction, trend_periods=card.trend.periods,
            trend_unit="wave" if card.window_type == "wave" else "month",
            trend_comparable=card.trend.comparable, lag_months=months, lag_source=source, lag_note=note,
            report_month=self.month_start)

    def _baseline(self, method: str, row: pd.Series | None, base_row: pd.Series | None, window_type: str,
                  v: dict, pv: dict, num: CountSystem | None,
                  cuts: tuple[tuple[date, str], ...] = ()) -> tuple[Shown, str]:
        rules = self.rules
        if row is None:
            return missing_shown(rules, "change"), "No value for this period."
        if window_type != "12m":
            return NOT_APPLICABLE, "No plan-year baseline for this indicator (survey waves are compared wave on wave)."
        start = long_date(self.info.starts)
        base_key: tuple[str, ...]
        if not self.plan_started:
            prev_end = end_of_month(add_months(first_of_month(self.month_end), -12))
            note = (f"Plan year {self.info.plan_year} has not started (it starts {start}), so this is the "
                    f"% change since the same point a year earlier (12 months to {short_month(prev_end)}).")
            base_key, base_value, base_shown = ("12m", "prev"), finite(row["previous_numerator"]), pv
            base_v = finite(row["previous_value"])
            if bool(row.get("crosses_recording_change") or False):
                return not_comparable_shown(), note + (" Not comparable: recording practice changed between "
                                                       "the two periods.")
        else:
            note = (f"% change since the 12 months to {short_month(self.baseline_end)}, the last 12 months before the plan "
                    f"year began ({start}).")
            if base_row is None:
                return missing_shown(rules, "change"), note + " The baseline 12 months are not in the warehouse."
            base_key, base_value = ("base",), finite(base_row["numerator"])
            base_v = finite(base_row["value"])
            crossed = [name for cut, name in cuts
                       if required_date(base_row["period_start"]) < cut <= required_date(row["period_end"])]
            if crossed:
                return not_comparable_shown(), note + f" Not comparable: {crossed[0]} falls between them."
            base_shown = values_for(self.rules, method, base_row, num, None if method != "proportion" else
                                          self._systems.get((row["indicator_id"], "denominator")), "cur", ("base",))
        if method in COUNT_METHODS:
            cur_flag = v["numerator"].suppressed
            base_flag = num.flagged(base_key) if num is not None and num.has(base_key) else False
            text, suppressed = suppress_change(finite(row["numerator"]), base_value, rules, current_suppressed=cur_flag,
                                               previous_suppressed=base_flag, as_percent=True)
            cur, base = finite(row["numerator"]), base_value
            rel = (cur - base) / base if cur is not None and base else None
            return change_shown(text, suppressed, rel, "+0.0%;-0.0%;0.0%"), note
        cur_s, base_s = v["value"], base_shown["value"]
        if cur_s.number is None or base_s.number is None or base_v is None or (
                base_v == 0 and method not in PERCENT_METHODS):
            if cur_s.suppressed or base_s.suppressed:
                return withheld_shown(rules.secondary_marker, FLAG_SECONDARY, "change"), note
            return missing_shown(rules, "change"), note
        if method in PERCENT_METHODS:
            # A percentage changes in points, not as a % of itself.
            return points_shown(cur_s.number - base_v), note.replace("% change", "change in percentage points")
        return relative_shown((cur_s.number - base_v) / base_v), note

    def _spc_note(self, spc_row: Any) -> str:
        if spc_row is None and self.spc:
            return f"No SPC point for {short_month(self.month_start)}: the monthly series does not reach this month."
        if spc_row is None:
            return self.spc_note or "SPC not available for this indicator."
        if bool(spc_row.get("trial") or False):
            return "Fewer than 13 months since the last rebase: limits are not shown yet (trial)."
        reason = spc_row.get("no_limits_reason")
        if not is_missing(reason):
            return f"No SPC limits: {NO_LIMITS_REASONS.get(str(reason), str(reason))}."
        parts = []
        start, end = as_date(spc_row.get("baseline_start")), as_date(spc_row.get("baseline_end"))
        if start is not None and end is not None:
            parts.append(f"Limits fixed on the baseline {month_range(start, end)} and extended.")
        rebases = split_list(spc_row.get("rebase_dates"))
        if rebases:
            parts.append("Limits rebased at " + ", ".join(short_month(required_date(d)) for d in rebases) + ".")
        return " ".join(parts)

    def _recording(self, row: pd.Series | None) -> str:
        if row is None or not bool(row.get("crosses_recording_change") or False):
            return ""
        raw = row.get("recording_changes")
        ids = split_list(raw) if isinstance(raw, (list, tuple, np.ndarray)) else split_sources(raw)
        names = []
        for rid in ids:
            title, when = self.info.recording_changes.get(rid, (rid.replace("_", " "), None))
            names.append(f"{title} ({long_date(when)})" if when else title)
        return ("The latest and previous periods straddle a change in recording practice"
                + (": " + "; ".join(names) if names else "")
                + ". The comparison is not like for like, so the status is not assessed.")

    def _dq_for(self, sources: list[str]) -> tuple[str, str]:
        """From marts.source_coverage: which months of which source the 12 months to the report month lack."""
        titles = {s: t[0] for s, t in self.info.source_titles.items()}
        refused = [f"{titles.get(s, s)}: {state.state} (the figures use the files that passed)"
                   for s in sources if (state := self.dq["by_source"].get(s)) is not None and state.refused_this_period]
        files = self.snap.files
        received = set(files.loc[files["status"] == "loaded", "source"].dropna()) if not files.empty else set()
        return indicator_data_line(self.snap.coverage, titles, sources, self.month_start, refused, received)

    def _months(self, method: str, monthly: pd.DataFrame, num: CountSystem | None,
                den: CountSystem | None) -> list[MonthRow]:
        out = []
        for r in monthly.itertuples(index=False):
            m = required_date(r.period_start)
            key = ("month", m)
            n = num.shown(key) if num is not None and num.has(key) else NOT_APPLICABLE
            n_flag = num.flagged(key) if num is not None else False
            if method == "proportion":
                d = den.shown(key) if den is not None and den.has(key) else missing_shown(self.rules)
                d_flag = den.flagged(key) if den is not None else False
                value = rate_shown(self.rules, finite(r.value), finite(r.denominator), n_flag or d_flag, method)
            elif method == "rate":
                pop = finite(r.denominator)
                d = Shown(f"{pop:,.0f}", pop, None, "pop", "#,##0", f"{pop:.0f}") if pop else NOT_APPLICABLE
                value = rate_shown(self.rules, finite(r.value), pop, n_flag, method)
            else:  # count, mean (a month's value is the count itself)
                d = NOT_APPLICABLE
                value = n
            out.append(MonthRow(m, value, n, d))
        return out

    def _wards(self, method: str, ward_rows: pd.DataFrame, num: CountSystem | None, den: CountSystem | None,
               v: dict, pv: dict) -> list[WardRow]:
        if ward_rows.empty or num is None:
            return []
        rules = self.rules
        rows: list[WardRow] = []

        def shown(system: CountSystem | None, key: tuple) -> Shown:
            return system.shown(key) if system is not None and system.has(key) else NOT_APPLICABLE

        def flagged(system: CountSystem | None, key: tuple) -> bool:
            return system.flagged(key) if system is not None else False

        entries = [(r.area_code, self.snap.ward_names.get(r.area_code, r.area_code), r) for r in ward_rows.itertuples()]
        entries.append(("", "Not placed in a ward", None))
        for code, name, r in entries:
            ck, pk = (("ward", code, "cur"), ("ward", code, "prev")) if r is not None else (
                ("ward_rem", "cur"), ("ward_rem", "prev"))
            if not num.has(ck):
                continue
            count, prev = shown(num, ck), shown(num, pk)
            base, prev_base = shown(den, ck), shown(den, pk)
            if method == "proportion" and r is not None:
                value = rate_shown(self.rules, finite(r.value), finite(r.denominator), flagged(num, ck) or flagged(den, ck), method)
            elif method == "proportion":
                nv, dv = num.count(ck), den.value(ck) if den is not None else None
                value = rate_shown(self.rules, 100 * nv / dv if dv else None, dv, flagged(num, ck) or flagged(den, ck),
                                   method)
            elif method == "rate" and r is not None:
                value = rate_shown(self.rules, finite(r.value), finite(r.denominator), flagged(num, ck), method)
            else:
                value = count
            if num.has(pk) and num.public:  # public counts: their difference is public too
                diff = num.count(ck) - num.count(pk)
                text, sup = ("0" if diff == 0 else f"{diff:+,d}"), False
                change = change_shown(text, sup, float(diff), "+#,##0;-#,##0;0")
            elif num.has(pk):
                text, sup = suppress_change(num.count(ck), num.count(pk), rules,
                                            current_suppressed=flagged(num, ck), previous_suppressed=flagged(num, pk))
                change = change_shown(text, sup, float(num.count(ck) - num.count(pk)), "+#,##0;-#,##0;0")
            else:
                change = missing_shown(rules, "change")
            rows.append(WardRow(code, name, value, count, base, prev, prev_base, change,
                                float(num.count(ck)), is_remainder=r is None))
        named = publication_order([w for w in rows if not w.is_remainder], ward_withheld, lambda w: w.sort_key,
                                  lambda w: w.name)
        return named + [w for w in rows if w.is_remainder]

    def _story(self, pid: str, iid: str) -> Markup | None:
        text = self.notes.get(iid)
        if isinstance(text, dict):
            text = text.get(pid, text.get("default"))
        if text is None or not str(text).strip():
            return None
        return render_note(str(text), self.rules, self.warnings, iid)

    def _chart(self, card: IndicatorCard, monthly: pd.DataFrame, num: CountSystem | None,
               den: CountSystem | None) -> None:
        paths = self.charts.get((card.priority_id, card.indicator_id))
        forecast = _forecast_from(paths, monthly, card.method) if card.window_type == "12m" else pd.DataFrame()
        if not forecast.empty:
            card.forecast = [{"month": as_date(r.month), "forecast": float(r.forecast), "lower": float(r.lower),
                              "upper": float(r.upper), "method": str(r.method)} for r in forecast.itertuples()]
            first, last = card.forecast[0]["month"], card.forecast[-1]["month"]
            card.forecast_note = (f"Baseline ‘if we stay on our current course’: {month_range(first, last)}, "
                                  f"{FORECAST_METHODS.get(card.forecast[0]['method'], card.forecast[0]['method'])} "
                                  f"(dashed line and shaded 95% prediction interval on the chart; values in "
                                  f"indicators.xlsx, Forecast sheet).")
        elif card.window_type == "12m":
            card.forecast_note = "Too little history for a baseline forecast."
        if card.window_type != "12m":
            card.chart_note = "Survey indicators are measured in waves, so there is no monthly SPC chart."
            return
        if not paths or not Path(paths.get("png", "")).exists():
            card.chart_note = "No SPC chart for this indicator this period." + (
                f" {self.spc_note}" if self.spc_note and not self.spc else "")
            return
        withheld = any(m.value.suppressed or m.numerator.suppressed or m.denominator.suppressed for m in card.months)
        if withheld:
            card.chart_note = ("Chart withheld: some months of this series are small numbers, and a point on a "
                               "chart shows its value. The SPC icon above is still computed from the full series; "
                               "the monthly figures, with small numbers suppressed, are in indicators.xlsx (Data).")
            return
        card.chart_png = Path(paths["png"])
        card.chart_b64 = base64.b64encode(card.chart_png.read_bytes()).decode("ascii")
        data = _chart_data(paths)
        card.chart_data = data.to_dict("records")
        card.chart_alt = (chart_alt_text(card.label, card.method, card.unit, data, card.forecast) if not data.empty
                          else f"Statistical process control chart of {card.label}, monthly.")
        card.chart_files = [str(paths[k]) for k in ("png", "svg", "forecast_csv") if paths.get(k)]


