"""The attacker on the demo (issue 15): the published months 2018-01 and 2018-02 recover nothing.

Both months are published into one reports folder, January first, as a partnership would; each
publish_reports call runs the attacker against the month and its published neighbour, and fails
rather than publish a recoverable count.

Teeth: the monthly flow's own February publication was made with no January publication beside it,
so its suppression pattern did not keep January's. Read together with January's files it leaks,
worked by hand from the two workbooks' Data sheets (s136 detentions, mental_health): February's card
gives 73 for the 12 months Mar 2017 - Feb 2018; February's Data sheet shows Mar 6, Apr 7, Jun 6,
Jul 8, Aug 6, Sep 6, Oct 6, Nov 6, Dec 2017 6 and Jan 2018 7 (= 64), withholds May 2017 ("[c]") and
Feb 2018 ("<5"). January's Data sheet shows May 2017 = 5. So Feb 2018 = 73 - 64 - 5 = 4.
"""

from __future__ import annotations

import pytest

from reporting.disclosure import MANIFEST_NAME
from reporting.disclosure_attack import attack_publication, neighbour_publications
from reporting.publish import publish_reports

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]

PLAN_YEAR, AREA = "2018-19", "E07000110"
PERIODS = ("2018-01", "2018-02")


@pytest.fixture(scope="module")
def two_months(demo_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("attacked_reports")
    for period in PERIODS:  # each call runs the attacker and would raise on a finding
        publish_reports(demo_warehouse["settings"].warehouse_path, out, period, PLAN_YEAR, AREA)
    return out


@pytest.mark.parametrize("period", PERIODS)
def test_the_attacker_recovers_nothing_from_the_demo(two_months, period):
    folder = two_months / period
    result = attack_publication(folder, period, neighbour_publications(two_months, period))
    assert result.findings == []
    assert result.notes == []
    # It read every file of both months, and found the withheld cells it was meant to attack.
    files = {p.relative_to(two_months).as_posix() for p in two_months.rglob("*") if p.is_file()}
    assert set(result.files_read) == files
    assert any(p.endswith(MANIFEST_NAME) for p in result.files_read)
    assert result.withheld_small > 400


def test_two_months_suppressed_apart_leak_and_the_attacker_finds_it(demo_warehouse, two_months):
    flow_february = demo_warehouse["settings"].reports / "2018-02"
    assert (flow_february / MANIFEST_NAME).exists()
    result = attack_publication(flow_february, "2018-02", {"2018-01": two_months / "2018-01"})
    hits = [f for f in result.findings if "(s136_detentions, 2018-02)" in f.where and "2018-02/" in f.where]
    assert hits, [str(f) for f in result.findings]
    assert all(f.low == f.high == 4 for f in hits)


def test_public_indicators_are_shown_in_full_and_labelled(two_months):
    """Weapons offences come only from police.uk street crime: every ward count is shown, labelled."""
    import csv

    folder = two_months / "2018-02" / "gangs_cse"
    with open(folder / "indicators.csv", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["indicator_id"] == "weapons_offences"]
    assert rows and all(r["numerator"].isdigit() for r in rows)
    assert any(1 <= int(r["numerator"]) <= 4 for r in rows)  # small counts, shown: they are public already
    assert {r["public_data"] for r in rows} == {"public data from data.police.uk"}
    assert (folder / "charts" / "weapons_offences.svg").exists()
    card = (folder / "report_card.html").read_text(encoding="utf-8")
    assert 'class="pill public-data">Public data from data.police.uk' in card
    # A partner source keeps disclosure control (DA-linked A&E attendances: withheld small wards).
    with open(two_months / "2018-02" / "domestic_abuse" / "indicators.csv", encoding="utf-8-sig") as fh:
        da = [r for r in csv.DictReader(fh) if r["indicator_id"] == "da_ae_attendances"]
    assert any(r["numerator"] == "<5" for r in da) and {r["public_data"] for r in da} == {""}
