"""The spatial join (geopandas/shapely) places the new 2021 Maidstone LSOAs exactly as the hand-written
ray casting did (step 9), on the real ONS boundaries."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from transforms.geography import _containing_polygon
from warehouse.readers import point_in_geometry, polygon_centroid

ONS = Path(os.environ.get("CSP_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "real")) / "ons"
NEW_2021 = {f"E0103499{d}" for d in range(10)}  # the ten 2021 codes not in the 2011 lookup (real/SOURCES.md)


@pytest.fixture(scope="module")
def boundaries():
    if not (ONS / "drkane_boundaries_lsoa_E07000110.geojson").exists():
        pytest.fail(f"real ONS boundaries not found under {ONS}")
    lsoa21 = json.loads((ONS / "drkane_boundaries_lsoa_E07000110.geojson").read_text(encoding="utf-8"))["features"]
    lsoa11 = json.loads((ONS / "drkane_boundaries_lsoa11_E07000110.geojson").read_text(encoding="utf-8"))["features"]
    return lsoa21, lsoa11


def test_the_spatial_join_matches_ray_casting_for_every_new_2021_lsoa(boundaries):
    lsoa21, lsoa11 = boundaries
    new = [f for f in lsoa21 if f["properties"]["LSOA21CD"] in NEW_2021]
    assert len(new) == 10
    points = [polygon_centroid(f["geometry"]) for f in new]
    polygons = [{"lsoa_code": f["properties"]["LSOA11CD"], "geometry": json.dumps(f["geometry"])} for f in lsoa11]
    joined = _containing_polygon(points, polygons)
    ray_cast = [next((f["properties"]["LSOA11CD"] for f in lsoa11 if point_in_geometry(x, y, f["geometry"])), None)
                for x, y in points]
    assert joined == ray_cast
    assert all(code is not None for code in joined)


def test_a_point_outside_every_polygon_is_not_placed():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    assert _containing_polygon([(2.0, 2.0), (0.5, 0.5)], [{"lsoa_code": "A", "geometry": json.dumps(square)}]) == [None, "A"]
