"""Ward maps on the real Maidstone ward boundaries: withheld wards are a class with no value, rates per
1,000 are count / population x 1,000, and a planted cluster of high wards is found as a hotspot."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from reporting.cards import WardRow
from reporting.figures import FLAG_PRIMARY, NOT_APPLICABLE, shown_count, withheld_shown
from reporting.maps import WITHHELD_CLASS, MapInputs, ward_map

ONS = Path(os.environ.get("CSP_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "real")) / "ons"
HIGH_STREET = "E05004996"


@pytest.fixture(scope="module")
def wards() -> pd.DataFrame:
    path = ONS / "drkane_boundaries_ward22_E07000110.geojson"
    if not path.exists():
        pytest.fail(f"real ONS ward boundaries not found: {path}")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return pd.DataFrame({"ward_code": [f["properties"]["WD22CD"] for f in features],
                         "ward_name": [f["properties"]["WD22NM"] for f in features],
                         "geometry": [json.dumps(f["geometry"]) for f in features]})


def _card(rows: list[WardRow]):
    return SimpleNamespace(method="count", window_type="12m", wards=rows, label="Test incidents",
                           window_label="12 months to Feb 2018", ward_vintage="Wards as at December 2019")


def _row(code: str, name: str, n: int) -> WardRow:
    count = withheld_shown("<5", FLAG_PRIMARY) if 0 < n < 5 else shown_count(n)
    return WardRow(code, name, count, count, NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE, float(n))


def test_a_withheld_ward_is_a_class_without_a_value_and_rates_are_per_1000(wards):
    counts = {code: 20 for code in wards["ward_code"]}
    counts[HIGH_STREET] = 3
    rows = [_row(c, n, counts[c]) for c, n in zip(wards["ward_code"], wards["ward_name"], strict=True)]
    inputs = MapInputs(wards, {c: 4000.0 for c in wards["ward_code"]}, 2018, synthetic=True)
    result = ward_map(_card(rows), inputs, "Maidstone")
    assert result is not None and len(result.rows) == 26 and all(r.on_map for r in result.rows)
    (withheld,) = [r for r in result.rows if r.code == HIGH_STREET]
    assert (withheld.count.text, withheld.rate, withheld.ci, withheld.hotspot) == ("<5", NOT_APPLICABLE, "–", WITHHELD_CLASS)
    other = next(r for r in result.rows if r.code != HIGH_STREET)
    assert other.rate.number == pytest.approx(5.0)  # 20 / 4,000 x 1,000
    assert any("synthetic" in note for note in result.notes)
    assert "3" not in withheld.count.text and result.png_b64


def test_a_planted_cluster_of_wards_is_a_hotspot(wards):
    import geopandas as gpd
    from libpysal.weights import Queen
    from shapely.geometry import shape

    frame = gpd.GeoDataFrame(wards[["ward_code"]], geometry=[shape(json.loads(g)) for g in wards["geometry"]],
                             crs="OGC:CRS84").set_index("ward_code")
    neighbours = set(Queen.from_dataframe(frame, use_index=True, silence_warnings=True)[HIGH_STREET])
    cluster = {HIGH_STREET} | neighbours
    counts = {c: (400 if c in cluster else 40 + (i % 5) * 3) for i, c in enumerate(wards["ward_code"])}
    rows = [_row(c, n, counts[c]) for c, n in zip(wards["ward_code"], wards["ward_name"], strict=True)]
    result = ward_map(_card(rows), MapInputs(wards, {c: 8000.0 for c in counts}, 2018, False), "Maidstone")
    assert result is not None
    hot = {r.code for r in result.rows if r.hotspot.startswith("Hotspot")}
    assert HIGH_STREET in hot and hot <= cluster | {c for c in counts if set(
        Queen.from_dataframe(frame, use_index=True, silence_warnings=True)[c]) & cluster}
    assert "High Street" in result.alt
