"""Deterministic demo inbox for the Safer Maidstone Partnership (as on 5 March 2018).

``generate_demo_inbox(inbox, real_dir)`` writes the partner extracts a Safer Maidstone
Partnership (SMP) analyst would hold on 5 March 2018 (Maidstone borough, district
E07000110, Kent), one folder per source declared in ``expectations/sources.yml``:
``inbox/<source_name>/<file>``.  Monthly sources cover April 2013 to February 2018
(59 months).  The files follow the contract in ``sources.yml`` exactly (headers and
their order, allowed values, patterns; dates ``YYYY-MM-DD``, months ``YYYY-MM``,
booleans ``Y``/``N``, empty string for a missing optional value).

What is real and what is synthetic
----------------------------------
* **Real** (copied byte for byte from ``real_dir/ons``): the LSOA 2011 -> ward 2019 ->
  district lookup, the ward -> district lookup, the district code list and the 2011 /
  2021 LSOA boundary GeoJSON files.  LSOA names, ward codes and LSOA centroids used by
  the generator come from those files.  The street names offered for each LSOA (and the
  relative crime volume of each LSOA) were taken from data.police.uk Kent street-level
  files for 2022 (Open Government Licence v3.0) and are embedded below.
* **Synthetic**: every partner extract (police, MARAC, health, CGL, council, survey)
  and the population files.  **The population_YYYY.csv files are synthetic demo values,
  not ONS mid-year estimates** (no ONS estimate for Maidstone exists in the repository):
  district totals are Census-2021-scale rounded totals scaled back / forward by a
  constant growth rate (0.7 %/yr for every district except Maidstone, which grows
  ~1.15 %/yr so that mid-2016 is ~166,000), split by a plausible but invented age x sex
  structure; ward rows split each district age x sex cell over the 26 Maidstone 2019
  wards (in proportion to their number of best-fit 2011 LSOAs, plus 0.6 so that small
  single-LSOA wards are not too small, and a ward age profile) so that
  wards sum exactly to the district for every age band and sex.

Calibration
-----------
The synthetic extracts are calibrated so that the figures published in the SMP
Strategic Assessment 2018 hold *exactly* in the files (windows are inclusive month
ranges by each row's month or date): DA incidents and repeat-victim counts
(Nov-Oct years), MARAC cases and repeats (Oct-Sep years), ASB, Drugs and Violence and
sexual offences on police.uk (Nov-Oct years), drug possession / trafficking, s136
detentions (financial years), psychoactive-substance admissions (Sep-Aug years),
alcohol-related admissions (+12 % FY 2016/17 on 2015/16), mental-health referrals
(financial years), CGL needle-exchange transactions (+13 %) and clients in treatment
(+29 %) in calendar 2017 vs 2016, and the 2017 resident survey (weighted by age x sex
to ``population_2016.csv`` of this inbox).  Monthly counts inside a calibration window
are drawn as a seasonal, trending expected series with multiplicative noise and then
allocated to the window total by largest remainder, so the total is exact; months
outside the windows are Poisson draws around the same expected series.  Where the
publication gives only a ratio the demo picks totals that make it exact: alcohol-related
(narrow) admissions 850 -> 952 (the Fingertips scale for Maidstone, ~510 per 100,000),
needle-exchange transactions 9,600 -> 10,848, clients-in-treatment month-sums
6,600 -> 8,514, new presentations 552 -> 498.  The survey is calibrated by allocating
answer codes deterministically within each age x sex cell (a tilted 5-point
distribution per cell, then single-answer moves) so that the post-stratified shares hit
the published figures; the sample is deliberately older and more female than the
population, so the unweighted results differ (night safety by about 3 points).

Design choices worth knowing
----------------------------
* police.uk "No Location" rows (about 1 % of rows, empty coordinates and LSOA) are only
  given to crime types that are not calibrated (not ASB, Drugs, Violence and sexual
  offences), so the calibrated counts are the same whether or not a consumer keeps
  rows without an LSOA.
* A DA incident is a *repeat* when the same ``Victim ID`` had another DA incident on a
  strictly earlier date no more than 365 days before.  The generator never gives one
  victim two incidents on the same day, gives repeat incidents a previous incident at
  most 330 days earlier, and re-uses a victim as a non-repeat only after a gap of more
  than 400 days, so the repeat status is robust to small differences in the window
  definition (365/366 days, "12 months").
* MARAC ``Repeat`` is consistent with the data from April 2014 on (``Y`` exactly when the
  victim had a MARAC case 42-330 days before, mostly with a new DA incident since; ``N``
  cases have none in the previous 400 days).  In the first year of the extract (April
  2013 - March 2014) a ``Y`` case may have no earlier case in the files: its previous
  referral predates the extract.
  Every MARAC victim key is a police DA victim key; most are victims with a high DASH
  risk incident in the six weeks before the meeting.
* MARAC and CGL workbooks store dates and months as text (``YYYY-MM-DD`` / ``YYYY-MM``)
  so that they match the contract literally; counts are numeric cells.
* Everything is deterministic: one ``numpy.random.default_rng`` stream per source
  (seeded by ``[seed, source number]``), sorted iteration, no wall-clock timestamps
  (the workbooks carry ``created = 2018-03-05``), CSVs written by the csv module with
  ``\\n`` line endings, UTF-8, no BOM.
* ``with_faults=True`` adds a handful of broken files (named so they never overwrite a
  good file); the good files are byte-identical with or without them.
"""
from __future__ import annotations

import bisect
import csv
import hashlib
import json
import math
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import xlsxwriter

__all__ = ["generate_demo_inbox"]

DISTRICT = "E07000110"

LSOA11_LOOKUP = "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv"
WARD_LOOKUP = "jtrim_csv_056_WD19_LAD19_UK_LU.csv"
LAD_CODES = "drkane_la_all_codes.csv"
LSOA21_GEOJSON = "drkane_boundaries_lsoa_E07000110.geojson"
LSOA11_GEOJSON = "drkane_boundaries_lsoa11_E07000110.geojson"

REFERENCE_COPIES = [
    ("reference_lsoa11_ward_lad", LSOA11_LOOKUP),
    ("reference_ward_lad", WARD_LOOKUP),
    ("reference_lad", LAD_CODES),
    ("reference_lsoa21_boundaries", LSOA21_GEOJSON),
    ("reference_lsoa11_boundaries", LSOA11_GEOJSON),
]

MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December"]

MONTHS: list[tuple[int, int]] = []
_y, _m = 2013, 4
while (_y, _m) <= (2018, 2):
    MONTHS.append((_y, _m))
    _y, _m = (_y + 1, 1) if _m == 12 else (_y, _m + 1)
MKEYS = [f"{y:04d}-{m:02d}" for y, m in MONTHS]
NM = len(MONTHS)  # 59

AGE_BANDS = ["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
AGE16 = AGE_BANDS[1:]
SEXES = ["female", "male"]

# Headers, in contract order (expectations/sources.yml).
H_STREET = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
            "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
            "Context"]
H_DA = ["Incident Reference", "Incident Date", "Victim ID", "LSOA Code", "Crime or Incident",
        "DASH Risk", "Outcome", "Victim Ethnicity", "Victim Sex", "Victim Age Band"]
H_DRUGS = ["Crime Reference", "Offence Date", "Offence Group", "Drug Class", "LSOA Code"]
H_S136 = ["Detention Reference", "Detention Date", "Place of Safety", "Age Band", "Sex"]
H_MARAC = ["Case Reference", "Meeting Date", "Victim ID", "Repeat", "Referring Agency"]
H_AE = ["Attendance Ref", "Attendance Date", "Age Band", "Sex", "LSOA of Residence",
        "DA Linked", "Assault", "Alcohol"]
H_ADM = ["Month", "Condition", "Age Band", "Sex", "Admissions"]
H_MH = ["Month", "Age Group", "Referrals"]
H_CGL = ["Month", "Substance Group", "Clients in Treatment", "New Presentations", "Exits",
         "Successful Completions", "Outreach Referrals", "Outreach Engaged"]
H_NX = ["Month", "Site ID", "Site Type", "Transactions"]
H_NF = ["Find Reference", "Find Date", "Ward Code", "Location Type", "Needles"]
H_SURVEY = ["Respondent ID", "Wave", "Ward Code", "Age Band", "Gender", "Ethnic Group",
            "Disability", "Economic Status", "Tenure", "Safe Home", "Safe Day", "Safe Night",
            "Worry Burglary", "Worry Assault", "Worry Car Theft", "Worry Fraud",
            "Worry Pestered"]
H_POP = ["Year", "Area Code", "Area Type", "Age Band", "Sex", "Population"]

# One RNG stream per source: default_rng([seed, STREAM[name]]).
STREAM = {
    "geo": 1, "police_street": 2, "police_da_incidents": 3, "police_drug_offences": 4,
    "police_s136": 5, "marac_cases": 6, "health_ae": 7, "health_admissions": 8,
    "health_mh_referrals": 9, "cgl_treatment": 10, "cgl_needle_exchange": 11,
    "council_needle_finds": 12, "survey_responses": 13, "reference_population": 14,
    "faults": 99,
}

# Census-2021-scale rounded totals (public figures) for Kent districts and Medway.
DISTRICTS = [  # code, name, 2021 total, annual growth, older-age tilt, young-adult tilt
    ("E06000035", "Medway", 279_800, 0.007, -0.12, 0.05),
    ("E07000105", "Ashford", 132_700, 0.007, 0.00, -0.03),
    ("E07000106", "Canterbury", 157_400, 0.007, 0.05, 0.25),
    ("E07000107", "Dartford", 116_800, 0.007, -0.22, 0.08),
    ("E07000108", "Dover", 116_400, 0.007, 0.15, -0.08),
    ("E07000109", "Gravesham", 106_900, 0.007, -0.10, 0.00),
    ("E07000110", "Maidstone", 175_800, (175_800 / 166_000) ** (1 / 5) - 1, 0.00, 0.00),
    ("E07000111", "Sevenoaks", 120_500, 0.007, 0.08, -0.12),
    ("E07000112", "Folkestone and Hythe", 109_800, 0.007, 0.18, -0.10),
    ("E07000113", "Swale", 151_700, 0.007, 0.00, -0.02),
    ("E07000114", "Thanet", 140_600, 0.007, 0.15, -0.04),
    ("E07000115", "Tonbridge and Malling", 132_200, 0.007, 0.02, -0.08),
    ("E07000116", "Tunbridge Wells", 115_300, 0.007, 0.05, -0.10),
]
# Synthetic age structure (Maidstone, 2016) and male fraction by band.
BAND_SHARE = [0.195, 0.100, 0.125, 0.130, 0.145, 0.115, 0.100, 0.090]
MALE_FRAC = [0.512, 0.520, 0.505, 0.500, 0.498, 0.495, 0.485, 0.450]
RURAL_WARDS = {
    "Barming and Teston", "Bearsted", "Boughton Monchelsea and Chart Sutton", "Boxley",
    "Coxheath and Hunton", "Detling and Thurnham", "Downswood and Otham",
    "Harrietsham and Lenham", "Headcorn", "Leeds", "Loose", "Marden and Yalding",
    "North Downs", "Staplehurst", "Sutton Valence and Langley",
}
YOUNG_FAMILY_WARDS = {"Park Wood", "Shepway North", "Shepway South", "South"}
TOWN_WARDS = {"High Street", "Bridge", "Fant", "North", "East"}

# LSOA 2011 code, relative crime volume (data.police.uk Kent, Jan-Nov 2022), top streets.
LSOA_STREETS = """
E01024320 50 Howard Drive|Chapelfield Way|Sterling Avenue|Wedgewood Close|Chestnut Road|Giddyhorn Lane|Hazel Avenue|Hazelwood Drive
E01024321 48 Juniper Close|Trenton Close|Nursery Avenue|Corbern Close|Ernest Drive|Headingley Road|Maxwell Drive|Old Trafford Close
E01024322 37 Flaxman Drive|Bramshott Close|London Road|Poplar Grove|Beech Drive|Froyle Close|Gatcombe Close|Maple Avenue
E01024323 81 Lamberhurst Road|Supermarket|Ash Grove|Fordwich Close|Blackmanstone Way|Cheriton Way|Talbot Road|Magpie Road
E01024324 50 Gooch Close|Park/Open Space|Thirlemere Close|Chilham Road|Eastry Close|Sheringham Close|Hextable Close|Larking Drive
E01024325 123 East Farleigh|Bull Orchard|Malling Road|Tonbridge Road|Barned Court|Church Street|Readers Court|Riverside Park
E01024326 44 Willington Street|Copsewood Way|The Grove|Madginford Close|Aviemore Gardens|Biddenden Close|Fauchon'S Close|Royston Road
E01024327 53 Merton Road|Lambourne Road|Spot Lane|Gascoyne Close|Lenside Drive|Tydeman Road|Madginford Road|Ragstone Road
E01024328 88 Forge Lane|Trapfield Lane|Roundwell|Cross Keys|Thurnham Lane|Sharsted Way|Trapfield Close|Fremlins Road
E01024329 74 Ashford Road|Petrol Station|Bodsham Crescent|Cavendish Way|Lilk Hill|Discovery Road|Manor Rise|Shirley Way
E01024330 28 The Sprig|Lord Romney'S Hill|Hampson Way|Mynn Crescent|Fullers Close|Ames Avenue|Birling Close|Mount Pleasant Drive
E01024331 66 The Quarries|Brishing Lane|Sports/Recreation Area|The Maltings|Windmill Court|Heath Road|Lewis Court Drive|Loddington Lane
E01024332 60 Plough Wents Road|Chart Hill Road|Chart Road|Cobfield|Ivans Field|Warmlake Road|Wierton Hill|Amber Lane
E01024333 77 Birch Drive|Larch Wood Close|Green Sands|Badger Road|Dogwood Close|Yew Tree Close|Golden Wood Close|Timber Tops
E01024334 42 Sylvan Glade|Galena Close|Micawber Close|Olivine Close|Silver Tree Close|Celestine Close|Violet Close|Bellgrove Court
E01024335 223 Lock Lane|Blind Lane|Forstal Road|The Street|Chatham Road|Styles Lane|Tyland Mews|Lidsing Road
E01024336 232 Exton Gardens|Bearsted Road|A249|Heath Wood Drive|Newnham Court Way|Sports/Recreation Area|Parking Area|Shepherds Gate Drive
E01024337 34 Grovewood Drive|Grove Green Lane|Harrow Way|Wingrove Drive|Hayrick Close|Shearers Close|Barley Fields|Blacksmith Drive
E01024338 34 Bracken Hill|Dale Court|The Covert|Alexandra Glen|Beechmore Drive|Fagus Close|Goldstone Walk|Podkin Wood
E01024339 363 London Road Rocky Hill|Broadway|Bedford Place|St Peter'S Bridge|Warwick Place|White Rock Place|Beaverbrook Mews|Bower Street
E01024340 345 St Peter'S Street|Waterside Gate|Scotney Gardens|Parking Area|Doddington Court|Kingsdown Close|Lesley Place|Supermarket
E01024341 74 Queensgate|London Road|Brunell Close|Kingsgate Close|Trapham Road|Greenwich Close|Greyfriars Close|Hazlitt Drive
E01024342 169 Clock House Rise|Clinton Close|Crispin Court|Capell Close|Westerhill Road|The Beacons|Heath Road|Aspian Drive
E01024343 34 Whitebeam Drive|Hanover Road|Dean Street|Forge Lane|New Cut|Pleasant Valley Lane|Workhouse Lane|Pembroke Road
E01024344 76 Little Orchard|Wilberforce Road|Trefoil Mews|North Crescent|Lasius Drive|Springett Way|Bramley Gardens|Burnet Court
E01024345 74 Cornwallis Avenue|Pippin Close|Water Lane|Redwall Lane|George Street|Park Avenue|Bishop'S Lane|Hunton Hill
E01024346 87 St Helens Lane|Victoria Court|Lower Road|Station Road|Heath Road|North Folly Road|River Close|Charlton Lane
E01024347 121 Pilgrims Way|Ashford Road|Detling Hill|Petrol Station|Hockers Close|Longfields Drive|Coldblow Lane|Edelin Road
E01024348 27 Weavering Street|Cornflower Close|Fallowfield Close|Fitzwilliam Road|Haywain Close|Baron Close|Betony Gardens|Camomile Drive
E01024349 61 Redsells Close|Mallards Way|Ravens Dane Close|Rhodewood Close|Murrain Drive|Deringwood Drive|Reinden Grove|Chiltern Close
E01024350 141 Sutton Road|White Horse Lane|Goodwood Close|Walter Close|Horton Downs|Longham Copse|Otham Street|Foxden Drive
E01024351 85 Mostyn Road|Cutbush And Corrall Court|Claremont Road|Snowdon Avenue|Bargrove Road|Goldthorne Close|Birchington Close|Ardenlee Drive
E01024352 324 Parking Area|Well Road|Bluett Street|Camden Street|Jeffrey Street|Wheeler Street|Brewer Street|Kings Walk
E01024353 57 Calehill Close|Coral Park|Shaw Close|Littlebourne Road|Aldon Close|Faraday Road|Penenden Heath Road|Stuart Close
E01024354 48 Bearsted Road|Emsworth Grove|Northfleet Close|Cooling Close|Bedgebury Close|Garrington Close|Hampton Road|Kewlands
E01024355 125 Recreation Close|Waterlow Road|Heathorn Street|Foley Street|Grecian Street|Allen Street|Salisbury Road|Princes Street
E01024356 173 Charlton Street|Upper Fant Road|Bower Lane|St Michael'S Road|Whitmore Street|Milton Street|Poppy Close|Hospital
E01024357 94 Tonbridge Road|Bazalgette Rise|Elmstone Close|Hartnup Street|The Laurels|Western Road|A26|Abbots Field
E01024358 169 Terminus Road|Woodford Road|Beaumont Road|Fernhill Road|Glebe Lane|Farleigh Lane|Sports/Recreation Area|Fant Lane
E01024360 119 Sidney Street|Dover Street|Gatland Lane|Farnborough Close|Pope Street|Ridgway|Unicumes Lane|Shelley Road
E01024361 155 Robins Close|Robins Avenue|Dickley Lane|Cherry Close|Maidstone Road|Croft Gardens|Foord Road|Mill Close
E01024362 162 The Square|Grovelands|Mitchell Close|Church Square|Bull Hill|Faversham Road|West Street|Headcorn Road
E01024363 198 Taylor Close|Willow Close|Southfields Way|Greenway Lane|Park/Open Space|Quested Way|Baldwin'S Place|Brunger Close
E01024364 123 North Street|Knight'S Way|Lenham Road|Water Lane|Bramleys|Sports/Recreation Area|Headcorn Airfield|Forge Meadows
E01024365 204 High Street|Supermarket|Mill Bank|Hydes Orchard|Uptons|Knaves Acre|Petrol Station|Shopping Area
E01024366 118 Southernden Road|Chegworth Road|Crump'S Lane|Boy Court Lane|Eastwood Road|Headcorn Road|Chestnut Close|Sports/Recreation Area
E01024367 193 Penny Cress Gardens|Victoria Orchard|St Michael'S Road|Oakwood Road|Greenway|Oakwood Court|Further/Higher Educational Building|Hadlow Close
E01024369 79 Beverley Road|Silverdale|St Andrew'S Close|Fountain Lane|Wood Court|Beckworth Place|St Davids Gate|Heath Road
E01024371 104 Upper Road|Lower Road|St Philip'S Avenue|Willow Way|Mote Avenue|Astley Terrace|Crompton Gardens|Blythe Road
E01024372 584 Palace Avenue|Brunswick Street East|Knightrider Court|Foster Street|Woodville Road|Waterloo Street|Upper Stone Street|Barton Road
E01024373 308 Knightrider Street|Greenhithe|Regency Place|Eccleston Road|Orchard Street|Underwood Close|Cornhill Place|Priory Road
E01024374 160 Quarry Road|Courtenay Road|Runcie Close|Ramsey Close|Langton Way|Howley Way|Islip Close|Postley Road
E01024375 172 Ashford Drive|Ashford Road|Holly Tree Close|Pitt Road|Bell Way|Brogden Crescent|Gravelly Bottom Road|Parking Area
E01024376 127 Hubbard'S Lane|Walnut Tree Avenue|Hanson Drive|Forstal Lane|Loose Road|Mcalpine Crescent|Leonard Gould Way|Pickering Street
E01024377 152 Cleavesland|Bryant Close|Hampstead Lane|Bishops Close|Park/Open Space|Benover Road|Bow Hill|Kenward Road
E01024378 72 Lyngs Close|Acott Fields|The Nook|High Street|Wilson Court|Downs Road|Oast Court|Medway Avenue
E01024379 80 Green Lane|Old Whetsted Road|Raynham Villas|Park/Open Space|Pattenden Lane|Whetsted Road|Wagon Lane|Linton Hill
E01024380 201 Goudhurst Road|Cascade Close|Sheephurst Lane|Ballard Close|Haffenden Close|Kings Lane|B2162|Pagehurst Road
E01024381 134 Maynards|South Road|Cranham Square|Merchant Place|Napoleon Drive|Campion Way|Chantry Road|Meadow Way
E01024382 249 Penenden Street|County Road|Petrol Station|Peel Street|Well Road|Gladstone Road|Hardy Street|John Street
E01024383 449 Sandling Road|James Whathan Way|Scott Street|Staceys Street|Alexandra Street|Bambridge Court|Monckton'S Lane|Mill Lane
E01024384 143 Egerton Road|Fawley Close|Lushington Road|Dickens Road|Finch Court|Foxglove Rise|Stanhope Close|Calder Road
E01024385 75 Brookbank|Barnhurst Road|North Way|Staplers Court|Penenden Heath Road|Sports/Recreation Area|Boxley Road|Woodcut
E01024386 64 Knowle Road|Gladstone Road|Boxley Road|Providence Park|Pine Grove|Bannister Road|Hillary Road|Boxley Gardens
E01024387 239 Petrol Station|Musket Lane|Mattison Place|Hollingbourne Hill|Firs Lane|Greenway Court Road|Maidstone Road|Pilgrims Way
E01024388 468 Morris Close|Shopping Area|Roman Way|Police Station|Lynley Close|Stratford Drive|Wotton Close|Sports/Recreation Area
E01024389 538 Darwin Avenue|Wallis Avenue|Francis Lane|Oak Trees|Acorn Place|Parking Area|Penfold Close|Bellmeadow
E01024390 303 Hollingworth Road|Brishing Road|Collington Terrace|Livingstone Walk|Petrol Station|Chestnut Close|Wallis Oak Avenue|Dudley Close
E01024391 162 St Ronan'S Close|Camp Way|Grove Road|Theatre/Concert Hall|Brushwood Close|Oak Tree Avenue|Hampshire Drive|Mangravet Avenue
E01024392 207 York Road|Sports/Recreation Area|South Park Road|The Spinney|West Park Road|Park Road|Plains Avenue|Parking Area
E01024393 193 Oxford Gardens|Claygate|Durham Close|Willington Street|Beauworth Park|Otterbourne Place|Chapman Avenue|Denton Close
E01024394 87 Plains Avenue|Dorset Way|Heather Drive|Sports/Recreation Area|Mulberry Place|Cranborne Avenue|Loose Road|Brockenhurst Avenue
E01024395 67 Derby Road|Oxford Road|Sussex Road|Rutland Way|Suffolk Road|Surrey Road|Northumberland Road|Kent Avenue
E01024396 141 Hampshire Drive|Lincoln Road|Longfield Place|Owletts Close|Dorset Way|Kings Reach|Norfolk Road|Sutton Road
E01024397 124 Lancashire Road|Cornwall Close|Westmorland Green|Greenborough Close|Highland Road|Westmorland Road|Leicester Road|Cheshire Road
E01024398 282 Drawbridge Close|Parking Area|Supermarket|Essex Road|Hereford Road|Northumberland Road|Nottingham Avenue|Cambridge Crescent
E01024399 86 Kennington Close|Senacre Square|Ifield Close|Wingham Close|Epsom Close|Titchfield Close|Westmarsh Close|Hartley Close
E01024400 71 Hever Close|Supermarket|Sutton Road|Sutton Heights|Groombridge Square|A274|Middlesex Road|Echo Close
E01024401 128 St Stephen'S Square|Church Road|Sports/Recreation Area|The Meadows|Wharf Road|Beaconsfield Road|Bridgeside Mews|The Head Race
E01024402 65 Porchester Close|Busbridge Road|Lakelands|Rushmead Drive|Sports/Recreation Area|Bockingford Lane|Farne Close|Iona Road
E01024403 119 Barfreston Close|Farleigh Hill|Millbrook Close|Sports/Recreation Area|Rockwell Court|Moorhen Road|Redstart Avenue|Shopping Area
E01024404 96 Sports/Recreation Area|Shernolds|Boughton Lane|Leigh Avenue|Norrington Road|Braddick Close|Parking Area|Payne'S Lane
E01024405 201 Strachan Close|Enterprise Road|Regent Close|Massey Close|Lacock Gardens|North View|Postley Road|Sports/Recreation Area
E01024406 158 Station Approach|Willow Crescent|Maxted Close|Cranbrook Road|Lodge Road|Winch'S Garth|Fishers Road|Marlfield
E01024407 119 Hurst Close|Lindridge Lane|Weld Close|Couchman Green Lane|Frittenden Road|Weavers Close|King Road|Maidstone Road
E01024408 97 Usborne Close|Butcher Close|Fishers Close|Newlyn Drive|Parking Area|Bell Lane|Station Road|North Down
E01024409 116 Petrol Station|Park/Open Space|Surrenden Road|Church Green|Fir Tree Close|Fletcher Road|Jaggard Way|Gybbon Rise
E01024410 86 Sutton Road|Ulcombe Road|New Road|Gullands|Park/Open Space|The Brambles|Chartway Street|Horseshoes Lane
E01024411 80 Petrol Station|The Harbour|Captain'S Close|High Street|Chart Road|Pedestrian Subway|Southways|Broad Street
E01033087 316 Station Approach|Westree Court|Barker Road|Shopping Area|Nightclub|Wallis Place|Clifford Way|Bodiam Court
E01033088 468 Hospital|Corianda Drive|Oakapple Lane|Keepers Avenue|Burdock Court|Bridle Way|Cinnamon Grove|Marigold Way
E01033089 145 Hambledon Court|Springwood Close|Edmund Close|Stanford Drive|West Walk|Newman Close|St Andrew'S Road|Fennel Close
E01033090 2308 Shopping Area|Station Road|High Street|Granada Street|Hospital|Parking Area|Bank Street|Gabriel'S Hill
E01033091 161 Reginald Road|Newton Close|Roseholme|Evelyn Road|Charles Street|Callisto Court|Prospect Place|Orchard Place
E01033092 349 Mote Road|Square Hill|Padsole Lane|Sittingbourne Road|Lower Stone Street|River Bank Close|Ashford Road|Huntsman Lane
"""


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------

def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAM[name]])


def _lr(total: int, weights) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    raw = w * total
    base = np.floor(raw).astype(np.int64)
    rem = int(total - base.sum())
    if rem:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rem]] += 1
    return base


def _seas(month: int, amp: float, peak: int) -> float:
    return 1.0 + amp * math.cos(2.0 * math.pi * (month - peak) / 12.0)


def _midx(key: str) -> int:
    return MKEYS.index(key)


def _series(rng, expected, windows=(), noise: float = 0.06) -> np.ndarray:
    """Poisson counts around ``expected``; inside each (start, end, total) window the
    counts are noisy shares of the window total, so the window sums exactly."""
    expected = np.asarray(expected, dtype=float)
    counts = rng.poisson(expected).astype(np.int64)
    for start, end, total in windows:
        s, e = _midx(start), _midx(end)
        w = expected[s:e + 1] * rng.lognormal(0.0, noise, e - s + 1)
        counts[s:e + 1] = _lr(total, w)
    return counts


def _ndays(y: int, m: int) -> int:
    nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return (nxt - date(y, m, 1)).days


def _rand_dates(rng, y: int, m: int, n: int) -> list[date]:
    days = np.sort(rng.integers(1, _ndays(y, m) + 1, size=n))
    return [date(y, m, int(d)) for d in days]


def _years_from(y: int, m: int, y0: int = 2016, m0: int = 5) -> float:
    return ((y - y0) * 12 + (m - m0)) / 12.0


def _write_csv(path: Path, header, rows, encoding: str = "utf-8") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def _write_xlsx(path: Path, sheet: str, header, rows, title: str | None = None) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"title": title or sheet, "author": "Safer Maidstone Partnership (demo)",
                       "created": datetime(2018, 3, 5)})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    r0 = 0
    if title:
        ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 13}))
        r0 = 2
    for j, h in enumerate(header):
        ws.write_string(r0, j, h, bold)
    for i, row in enumerate(rows, start=r0 + 1):
        for j, v in enumerate(row):
            if isinstance(v, str):
                if v:
                    ws.write_string(i, j, v)
            else:
                ws.write_number(i, j, int(v))
    ws.set_column(0, len(header) - 1, 20)
    wb.close()
    return len(rows)


def _pick(rng, items, probs, size=None):
    p = np.asarray(probs, dtype=float)
    idx = rng.choice(len(items), size=size, p=p / p.sum())
    if size is None:
        return items[int(idx)]
    return [items[int(i)] for i in idx]


def _cat(u, probs):
    """Category indices for uniform draws ``u`` (inverse of the cumulative ``probs``)."""
    c = np.cumsum(np.asarray(probs, dtype=float))
    c /= c[-1]
    return np.minimum(np.searchsorted(c, u, side="right"), len(c) - 1)


class _Summary(dict):
    def add(self, source: str, rows: int, files: int = 1) -> None:
        s = self.setdefault(source, {"files": 0, "rows": 0})
        s["files"] += files
        s["rows"] += int(rows)


# --------------------------------------------------------------------------------------
# geography
# --------------------------------------------------------------------------------------

class _Geo:
    def __init__(self, real_dir: Path, rng: np.random.Generator):
        ons = real_dir / "ons"
        table = {}
        for line in LSOA_STREETS.strip().splitlines():
            code, weight, streets = line.split(" ", 2)
            table[code] = (float(weight), streets.split("|"))
        rows = []
        with open(ons / LSOA11_LOOKUP, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                if r["LAD19CD"] == DISTRICT:
                    rows.append(r)
        rows.sort(key=lambda r: r["LSOA11CD"])
        self.lsoa = [r["LSOA11CD"] for r in rows]
        self.lsoa_name = {r["LSOA11CD"]: r["LSOA11NM"] for r in rows}
        self.lsoa_ward = {r["LSOA11CD"]: r["WD19CD"] for r in rows}
        with open(ons / LSOA11_GEOJSON, encoding="utf-8") as f:
            gj = json.load(f)
        cent = {ft["properties"]["LSOA11CD"]: (float(ft["properties"]["LONG"]),
                                                float(ft["properties"]["LAT"]))
                for ft in gj["features"]}
        wards = []
        with open(ons / WARD_LOOKUP, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                if r["LAD19CD"] == DISTRICT:
                    wards.append((r["WD19CD"], r["WD19NM"]))
        wards.sort()
        self.wards = [w for w, _ in wards]
        self.ward_name = dict(wards)
        self.ward_nlsoa = np.array([sum(1 for c in self.lsoa if self.lsoa_ward[c] == w)
                                    for w in self.wards], dtype=float)
        n = len(self.lsoa)
        self.weight = np.array([table.get(c, (100.0, []))[0] for c in self.lsoa])
        generic = ["Parking Area", "Shopping Area", "Supermarket", "Petrol Station",
                   "Park/Open Space", "Sports/Recreation Area",
                   "Further/Higher Educational Building",
                   "Hospital"]
        self.points = []  # per LSOA: list of 8 (lon, lat, location)
        jit = rng.normal(0.0, 1.0, size=(n, 8, 2))
        for i, c in enumerate(self.lsoa):
            lon, lat = cent[c]
            streets = list(table.get(c, (0, []))[1])
            k = 0
            while len(streets) < 8:
                streets.append(generic[k % len(generic)])
                k += 1
            spread = 0.0022 if self.weight[i] > 250 else 0.0035
            self.points.append([
                (f"{lon + spread * jit[i, j, 0]:.6f}", f"{lat + 0.62 * spread * jit[i, j, 1]:.6f}",
                 f"On or near {streets[j]}") for j in range(8)])
        p = 1.0 / (np.arange(8) + 1.0) ** 0.9
        self.point_p = p / p.sum()

    def lsoa_p(self, conc: float) -> np.ndarray:
        w = self.weight ** conc
        return w / w.sum()


# --------------------------------------------------------------------------------------
# police.uk street-level crime
# --------------------------------------------------------------------------------------

# name: (level mid-2016 per month, trend per year, season amplitude, peak month,
#        step from April 2017, LSOA concentration exponent, share with no location, outcomes)
STREET_TYPES = [
    ("Anti-social behaviour", 305.0, -0.11, 0.18, 7, 1.00, 1.15, 0.0, None),
    ("Bicycle theft", 12.0, -0.02, 0.30, 7, 1.00, 1.10, 0.01, "theft"),
    ("Burglary", 70.0, -0.04, 0.12, 12, 1.00, 0.60, 0.005, "theft"),
    ("Criminal damage and arson", 124.0, 0.01, 0.07, 7, 1.00, 0.90, 0.015, "theft"),
    ("Drugs", 29.0, -0.04, 0.08, 5, 1.00, 1.40, 0.0, "drugs"),
    ("Other crime", 22.0, 0.08, 0.05, 6, 1.15, 1.00, 0.08, "general"),
    ("Other theft", 104.0, 0.00, 0.08, 8, 1.00, 1.10, 0.03, "theft"),
    ("Possession of weapons", 7.0, 0.08, 0.10, 7, 1.00, 1.20, 0.02, "general"),
    ("Public order", 45.0, 0.15, 0.10, 7, 1.20, 1.20, 0.04, "general"),
    ("Robbery", 6.0, 0.00, 0.10, 12, 1.00, 1.20, 0.02, "general"),
    ("Shoplifting", 76.0, 0.00, 0.07, 12, 1.00, 2.00, 0.003, "shoplifting"),
    ("Theft from the person", 9.0, 0.00, 0.10, 12, 1.00, 1.80, 0.02, "theft"),
    ("Vehicle crime", 66.0, 0.02, 0.10, 11, 1.00, 0.80, 0.02, "theft"),
    ("Violence and sexual offences", 283.0, 0.06, 0.07, 7, 1.68, 1.00, 0.0, "violence"),
]
STREET_WINDOWS = {
    "Anti-social behaviour": [("2015-11", "2016-10", 3697), ("2016-11", "2017-10", 3243)],
    "Drugs": [("2015-11", "2016-10", 345), ("2016-11", "2017-10", 342)],
    "Violence and sexual offences": [("2015-11", "2016-10", 3390), ("2016-11", "2017-10", 4833)],
}
UNDER_INVESTIGATION = "Under investigation"
OUTCOMES = {
    "general": [
        ("Investigation complete; no suspect identified", 30), ("Unable to prosecute suspect", 28),
        ("Offender given a caution", 5), ("Local resolution", 5), ("Awaiting court outcome", 3),
        ("Court result unavailable", 4), ("Offender sent to prison", 3),
        ("Offender given community sentence", 3), ("Offender fined", 3),
        ("Offender given suspended prison sentence", 2),
        ("Offender given conditional discharge", 1),
        ("Formal action is not in the public interest", 2),
        ("Further investigation is not in the public interest", 2),
        ("Action to be taken by another organisation", 3), ("Status update unavailable", 2),
        ("Suspect charged as part of another case", 1), ("Defendant found not guilty", 1),
        (UNDER_INVESTIGATION, 2)],
    "theft": [
        ("Investigation complete; no suspect identified", 68), ("Unable to prosecute suspect", 14),
        ("Offender given a caution", 1), ("Local resolution", 2), ("Awaiting court outcome", 1),
        ("Court result unavailable", 2), ("Offender sent to prison", 1),
        ("Offender given community sentence", 1), ("Offender fined", 1),
        ("Further investigation is not in the public interest", 2),
        ("Action to be taken by another organisation", 1), ("Status update unavailable", 2),
        ("Suspect charged as part of another case", 1), (UNDER_INVESTIGATION, 3)],
    "shoplifting": [
        ("Investigation complete; no suspect identified", 38), ("Unable to prosecute suspect", 12),
        ("Offender given a caution", 6), ("Local resolution", 5), ("Awaiting court outcome", 4),
        ("Court result unavailable", 6), ("Offender sent to prison", 6),
        ("Offender given community sentence", 4), ("Offender fined", 6),
        ("Offender given conditional discharge", 4), ("Offender ordered to pay compensation", 2),
        ("Offender given penalty notice", 2),
        ("Further investigation is not in the public interest", 2),
        ("Status update unavailable", 1), (UNDER_INVESTIGATION, 2)],
    "drugs": [
        ("Offender given a drugs possession warning", 20), ("Offender given a caution", 11),
        ("Local resolution", 10), ("Unable to prosecute suspect", 9), ("Awaiting court outcome", 5),
        ("Court result unavailable", 7), ("Offender fined", 6), ("Offender sent to prison", 6),
        ("Offender given community sentence", 4), ("Offender given conditional discharge", 4),
        ("Formal action is not in the public interest", 4),
        ("Further investigation is not in the public interest", 3),
        ("Investigation complete; no suspect identified", 3), ("Offender given penalty notice", 2),
        ("Suspect charged as part of another case", 2), (UNDER_INVESTIGATION, 4)],
    "violence": [
        ("Unable to prosecute suspect", 52), ("Investigation complete; no suspect identified", 12),
        ("Offender given a caution", 4), ("Local resolution", 4), ("Awaiting court outcome", 4),
        ("Court result unavailable", 4), ("Offender sent to prison", 2),
        ("Offender given community sentence", 2), ("Offender given suspended prison sentence", 2),
        ("Offender fined", 1), ("Formal action is not in the public interest", 2),
        ("Further investigation is not in the public interest", 3),
        ("Action to be taken by another organisation", 3), ("Status update unavailable", 2),
        ("Defendant found not guilty", 1), (UNDER_INVESTIGATION, 2)],
}


def _outcome_table(profile: str, months_before_end: int):
    labels = [o for o, _ in OUTCOMES[profile]]
    p = np.array([w for _, w in OUTCOMES[profile]], dtype=float)
    p /= p.sum()
    ui = {0: 0.50, 1: 0.34, 2: 0.22, 3: 0.12, 4: 0.06}.get(months_before_end, 0.0)
    if ui:
        k = labels.index(UNDER_INVESTIGATION)
        p = p * (1.0 - ui)
        p[k] += ui
    return labels, p


def _gen_police_street(inbox: Path, geo: _Geo, seed: int, summary: _Summary):
    rng = _rng(seed, "police_street")
    counts = {}
    for name, lvl, trend, amp, peak, step, _conc, _nl, _prof in STREET_TYPES:
        exp = [lvl * (1 + trend) ** _years_from(y, m) * _seas(m, amp, peak)
               * (step if (y, m) >= (2017, 4) else 1.0) for y, m in MONTHS]
        counts[name] = _series(rng, exp, STREET_WINDOWS.get(name, ()), noise=0.07)
    lsoa_ps = {t[0]: geo.lsoa_p(t[6]) for t in STREET_TYPES}
    out_dir = inbox / "police_street"
    drug_lsoas: list[list[str]] = []
    month_rows: list[list[list[str]]] = []
    for t, (y, m) in enumerate(MONTHS):
        mkey = MKEYS[t]
        located, noloc = [], []
        for name, _l, _tr, _a, _pk, _st, _conc, nl_rate, prof in STREET_TYPES:
            n = int(counts[name][t])
            li = rng.choice(len(geo.lsoa), size=n, p=lsoa_ps[name])
            pi = rng.choice(8, size=n, p=geo.point_p)
            nl = rng.random(n) < nl_rate
            sk = rng.random(n)
            if prof is None:
                outs = [""] * n
            else:
                labels, p = _outcome_table(prof, NM - 1 - t)
                outs = [labels[int(k)] for k in rng.choice(len(labels), size=n, p=p)]
            for j in range(n):
                if nl[j]:
                    noloc.append((float(sk[j]), name, outs[j], "", "", "No Location", "", ""))
                else:
                    code = geo.lsoa[int(li[j])]
                    lon, lat, loc = geo.points[int(li[j])][int(pi[j])]
                    located.append((geo.lsoa_name[code], float(sk[j]), name, outs[j],
                                    lon, lat, loc, code))
        located.sort()
        noloc.sort()
        rows, drugs = [], []
        seq = 0
        for lname, _sk, name, out, lon, lat, loc, code in located:
            seq += 1
            cid = "" if name == "Anti-social behaviour" else hashlib.sha256(
                f"smp-demo|{seed}|{mkey}|{seq:05d}".encode()).hexdigest()
            rows.append([cid, mkey, "Kent Police", "Kent Police", lon, lat, loc, code, lname,
                         name, out, ""])
            if name == "Drugs":
                drugs.append(code)
        for _sk, name, out, lon, lat, loc, code, lname in noloc:
            seq += 1
            cid = "" if name == "Anti-social behaviour" else hashlib.sha256(
                f"smp-demo|{seed}|{mkey}|{seq:05d}".encode()).hexdigest()
            rows.append([cid, mkey, "Kent Police", "Kent Police", lon, lat, loc, code, lname,
                         name, out, ""])
            if name == "Drugs":
                drugs.append(code)
        summary.add("police_street",
                    _write_csv(out_dir / f"{mkey}-kent-street.csv", H_STREET, rows))
        drug_lsoas.append(drugs)
        month_rows.append(rows)
    return drug_lsoas, month_rows


def _ref_counter(rng, lo: int, hi: int, gap_hi: int):
    """Per-year increasing reference numbers with random gaps (force-wide numbering)."""
    state: dict[int, int] = {}

    def nxt(year: int) -> int:
        if year not in state:
            state[year] = int(rng.integers(lo, hi))
        state[year] += int(rng.integers(1, gap_hi + 1))
        return state[year]
    return nxt


def _gen_drug_offences(inbox: Path, seed: int, drug_lsoas, summary: _Summary):
    rng = _rng(seed, "police_drug_offences")
    windows = [("2015-11", "2016-10", 57), ("2016-11", "2017-10", 91)]
    n_per = [len(x) for x in drug_lsoas]
    traff = [np.zeros(n, dtype=bool) for n in n_per]
    for t, (y, m) in enumerate(MONTHS):
        p = 0.17 if (y, m) < (2017, 1) else 0.26
        traff[t] = rng.random(n_per[t]) < p
    for start, end, total in windows:
        s, e = _midx(start), _midx(end)
        slots = [(t, j) for t in range(s, e + 1) for j in range(n_per[t])]
        for t in range(s, e + 1):
            traff[t][:] = False
        for k in sorted(rng.choice(len(slots), size=total, replace=False)):
            t, j = slots[int(k)]
            traff[t][j] = True
    ref = _ref_counter(rng, 1000, 6000, 60)
    classes = ["A", "B", "C", "unknown"]
    for t, (y, m) in enumerate(MONTHS):
        n = n_per[t]
        dates = _rand_dates(rng, y, m, n)
        order = rng.permutation(n)
        u = rng.random(n)
        cls = np.where(traff[t], _cat(u, [0.62, 0.32, 0.02, 0.04]),
                       _cat(u, [0.22, 0.68, 0.05, 0.05]))
        rows = []
        for j, d in zip(order, dates):
            j = int(j)
            grp = "trafficking" if traff[t][j] else "possession"
            rows.append([f"CR/{y:04d}/{ref(y):06d}", d.isoformat(), grp, classes[int(cls[j])],
                         drug_lsoas[t][j]])
        summary.add("police_drug_offences",
                    _write_csv(inbox / "police_drug_offences" / f"drug_offences_{MKEYS[t]}.csv",
                               H_DRUGS, rows))


# --------------------------------------------------------------------------------------
# police: domestic abuse incidents, MARAC, s136
# --------------------------------------------------------------------------------------

DA_WINDOWS = [("2015-11", "2016-10", 2683, 708), ("2016-11", "2017-10", 3096, 796)]
MARAC_WINDOWS = [("2015-10", "2016-09", 161, 29), ("2016-10", "2017-09", 177, 58)]
S136_WINDOWS = [("2013-04", "2014-03", 52), ("2016-04", "2017-03", 72), ("2017-04", "2018-02", 67)]

DA_ETH = (["white", "not_stated", "asian", "black", "mixed", "other"],
          [0.868, 0.035, 0.045, 0.020, 0.021, 0.011])
DA_SEX = (["female", "male", "unknown"], [0.79, 0.20, 0.01])
DA_AGE = (["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "unknown"],
          [0.01, 0.20, 0.30, 0.22, 0.15, 0.06, 0.03, 0.015, 0.015])
DA_OUT_CRIME = (["charged", "out_of_court_disposal", "victim_does_not_support_nfa",
                 "evidential_difficulties", "investigation_ongoing", "other_nfa"],
                [0.14, 0.05, 0.45, 0.22, 0.06, 0.08])
DA_OUT_INCIDENT = (["no_crime_recorded", "victim_does_not_support_nfa", "other_nfa"],
                   [0.70, 0.20, 0.10])
DASH = ["standard", "medium", "high"]


def _person_ids(rng, n: int) -> list[str]:
    """Unique force-style person ids 'P' + 7 digits, in random order."""
    draws = rng.integers(1_000_000, 10_000_000, size=int(n * 1.3) + 100)
    uniq = list(dict.fromkeys(int(x) for x in draws))[:n]
    return [f"P{x:07d}" for x in uniq]


class _DA:
    """What MARAC needs to know about the DA incidents."""

    def __init__(self):
        self.ords: list[int] = []        # incident date ordinals, chronological
        self.victim: list[int] = []      # victim index per incident
        self.dash: list[str] = []
        self.keys: list[str] = []        # victim index -> key
        self.by_victim: dict[int, list[int]] = {}
        self.spare_ids: list[str] = []   # unused person ids (for MARAC victims before the extract)


def _gen_da_incidents(inbox: Path, geo: _Geo, seed: int, summary: _Summary) -> _DA:
    rng = _rng(seed, "police_da_incidents")
    exp = [224.0 * 1.13 ** _years_from(y, m) * _seas(m, 0.07, 7) * (1.05 if m in (12, 1) else 1.0)
           for y, m in MONTHS]
    counts = _series(rng, exp, [(s, e, n) for s, e, n, _r in DA_WINDOWS], noise=0.05)
    dates: list[date] = []
    month_of: list[int] = []
    for t, (y, m) in enumerate(MONTHS):
        ds = _rand_dates(rng, y, m, int(counts[t]))
        dates += ds
        month_of += [t] * len(ds)
    n = len(dates)
    ords = np.array([d.toordinal() for d in dates])
    month_of = np.array(month_of)
    # repeat flags: exact inside the calibration windows
    flag = rng.random(n) < 0.26
    in_window = np.zeros(n, dtype=bool)
    for s, e, _tot, reps in DA_WINDOWS:
        mask = (month_of >= _midx(s)) & (month_of <= _midx(e))
        idx = np.flatnonzero(mask)
        in_window |= mask
        flag[idx] = False
        flag[rng.choice(idx, size=reps, replace=False)] = True
    # victims
    ids = _person_ids(rng, 40_000)
    nv_max = len(ids)
    v_sex = _pick(rng, *DA_SEX, size=nv_max)
    v_age = _pick(rng, *DA_AGE, size=nv_max)
    v_eth = _pick(rng, *DA_ETH, size=nv_max)
    v_home = rng.choice(len(geo.lsoa), size=nv_max, p=geo.lsoa_p(0.55))
    last: list[int] = []
    hist_d: list[int] = []
    hist_v: list[int] = []
    victim = np.empty(n, dtype=np.int64)
    u_pref = rng.random(n)
    for i in range(n):
        d = int(ords[i])
        v = -1
        if flag[i]:
            lo = bisect.bisect_left(hist_d, d - 330)
            hi = bisect.bisect_left(hist_d, d)
            if hi > lo:
                lo2 = max(lo, bisect.bisect_left(hist_d, d - 60))
                for _ in range(30):
                    if lo2 < hi and u_pref[i] < 0.55:
                        k = int(rng.integers(lo2, hi))
                    else:
                        k = int(rng.integers(lo, hi))
                    if last[hist_v[k]] < d:
                        v = hist_v[k]
                        break
                if v < 0:
                    for k in range(hi - 1, lo - 1, -1):
                        if last[hist_v[k]] < d:
                            v = hist_v[k]
                            break
            if v < 0:
                if in_window[i]:
                    raise RuntimeError("DA repeat calibration infeasible")
                flag[i] = False
        if v < 0:
            hi_old = bisect.bisect_left(hist_d, d - 400)
            if hi_old > 0 and rng.random() < 0.10:
                for _ in range(5):
                    cand = hist_v[int(rng.integers(0, hi_old))]
                    if last[cand] < d - 400:
                        v = cand
                        break
            if v < 0:
                v = len(last)
                last.append(d)
        last[v] = d
        hist_d.append(d)
        hist_v.append(v)
        victim[i] = v
    nv = len(last)
    # incident attributes
    post = np.array([MONTHS[t] >= (2017, 4) for t in month_of])
    is_crime = rng.random(n) < np.where(post, 0.70, 0.58)
    u_dash = rng.random(n)
    p_high = np.where(flag, 0.16, 0.07)
    p_med = np.where(flag, 0.32, 0.27)
    dash = np.where(u_dash < p_high, 2, np.where(u_dash < p_high + p_med, 1, 0))
    out_c = _pick(rng, *DA_OUT_CRIME, size=n)
    out_i = _pick(rng, *DA_OUT_INCIDENT, size=n)
    ongoing = rng.random(n) < np.clip((month_of - (NM - 4)) * 0.18, 0, 0.7)
    away = rng.random(n) < 0.15
    away_lsoa = rng.choice(len(geo.lsoa), size=n, p=geo.lsoa_p(1.0))
    no_lsoa = rng.random(n) < 0.02
    ref = _ref_counter(rng, 1000, 9000, 24)
    da = _DA()
    da.keys = ids[:nv]
    da.spare_ids = ids[nv:]
    per_month: list[list[list[str]]] = [[] for _ in range(NM)]
    for i in range(n):
        d = dates[i]
        v = int(victim[i])
        if is_crime[i]:
            rec = "crime"
            out = "investigation_ongoing" if ongoing[i] else out_c[i]
        else:
            rec = "incident"
            out = out_i[i]
        if no_lsoa[i]:
            lsoa = ""
        else:
            lsoa = geo.lsoa[int(away_lsoa[i] if away[i] else v_home[v])]
        per_month[int(month_of[i])].append([
            f"DA/{d.year:04d}/{ref(d.year):06d}", d.isoformat(), ids[v], lsoa, rec,
            DASH[int(dash[i])], out, v_eth[v], v_sex[v], v_age[v]])
        da.ords.append(int(ords[i]))
        da.victim.append(v)
        da.dash.append(DASH[int(dash[i])])
        da.by_victim.setdefault(v, []).append(int(ords[i]))
    for t in range(NM):
        summary.add("police_da_incidents",
                    _write_csv(inbox / "police_da_incidents" / f"da_incidents_{MKEYS[t]}.csv",
                               H_DA, per_month[t]))
    da.month_rows = per_month
    return da


def _nth_weekday(y: int, m: int, weekday: int, nth: int) -> date:
    d = date(y, m, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(days=7 * (nth - 1))


MARAC_AGENCY = ["police", "idva", "health", "housing", "childrens_services", "probation", "other"]
MARAC_AGENCY_P_NEW = [0.66, 0.10, 0.08, 0.04, 0.08, 0.02, 0.02]
MARAC_AGENCY_P_REP = [0.50, 0.25, 0.08, 0.05, 0.07, 0.03, 0.02]


def _gen_marac(inbox: Path, seed: int, da: _DA, summary: _Summary):
    rng = _rng(seed, "marac_cases")
    exp = [13.4 * 1.10 ** _years_from(y, m, 2016, 4) * _seas(m, 0.06, 1) for y, m in MONTHS]
    counts = _series(rng, exp, [(s, e, n) for s, e, n, _r in MARAC_WINDOWS], noise=0.12)
    slots = []  # (meeting date, month index)
    for t, (y, m) in enumerate(MONTHS):
        meet = [_nth_weekday(y, m, 3, 2), _nth_weekday(y, m, 3, 4)]  # 2nd and 4th Thursday
        c = int(counts[t])
        first = c // 2 + (c % 2 if rng.random() < 0.5 else 0)
        slots += [(meet[0], t)] * first + [(meet[1], t)] * (c - first)
    ns = len(slots)
    s_month = np.array([t for _d, t in slots])
    flag = np.array([rng.random() < (0.22 if MONTHS[t] < (2015, 10) else 0.32)
                     for _d, t in slots], dtype=bool)
    in_window = np.zeros(ns, dtype=bool)
    for s, e, _tot, reps in MARAC_WINDOWS:
        mask = (s_month >= _midx(s)) & (s_month <= _midx(e))
        idx = np.flatnonzero(mask)
        in_window |= mask
        flag[idx] = False
        flag[rng.choice(idx, size=reps, replace=False)] = True
    da_ords = da.ords
    spare = iter(da.spare_ids)
    keys = list(da.keys)
    marac_last: dict[int, int] = {}
    used_day: dict[int, int] = {}

    def new_da_since_last_case(v: int, D: int) -> bool:
        """A DA incident after the victim's last MARAC case and within 8 weeks."""
        lst = da.by_victim.get(v, [])
        k = bisect.bisect_left(lst, max(D - 56, marac_last[v] + 1))
        return k < len(lst) and lst[k] <= D - 3

    def new_case_victim(D: int) -> int:
        for level, back in (("high", 42), ("medium", 42), (None, 120)):
            lo = bisect.bisect_left(da_ords, D - back)
            hi = bisect.bisect_right(da_ords, D - 3)
            cands = []
            seen = set()
            for k in range(lo, hi):
                v = da.victim[k]
                if level is not None and da.dash[k] != level:
                    continue
                if v in seen or used_day.get(v) == D or marac_last.get(v, -10**9) >= D - 400:
                    continue
                seen.add(v)
                cands.append(v)
            if cands:
                return cands[int(rng.integers(0, len(cands)))]
        keys.append(next(spare))
        return len(keys) - 1

    rows_by_month: list[list[list]] = [[] for _ in range(NM)]
    ref_seq: dict[int, int] = {}
    early = date(2014, 4, 1).toordinal()
    for i, (meeting, t) in enumerate(slots):
        D = meeting.toordinal()
        v = -1
        if flag[i]:
            cands = [u for u, last in marac_last.items()
                     if D - 330 <= last <= D - 42 and used_day.get(u) != D]
            if cands:
                pref = [u for u in cands if new_da_since_last_case(u, D)]
                pool = pref if pref and rng.random() < 0.85 else cands
                v = pool[int(rng.integers(0, len(pool)))]
            elif D < early:
                v = new_case_victim(D)  # previous referral predates the extract
            elif in_window[i]:
                raise RuntimeError("MARAC repeat calibration infeasible")
            else:
                flag[i] = False
        if v < 0:
            v = new_case_victim(D)
        marac_last[v] = D
        used_day[v] = D
        ref_seq[meeting.year] = ref_seq.get(meeting.year, 0) + 1
        agency = _pick(rng, MARAC_AGENCY, MARAC_AGENCY_P_REP if flag[i] else MARAC_AGENCY_P_NEW)
        rows_by_month[t].append([f"MARAC-{meeting.year:04d}-{ref_seq[meeting.year]:04d}",
                                 meeting.isoformat(), keys[v], "Y" if flag[i] else "N", agency])
    for t, (y, m) in enumerate(MONTHS):
        summary.add("marac_cases", _write_xlsx(
            inbox / "marac_cases" / f"marac_{MKEYS[t]}.xlsx", "Cases", H_MARAC, rows_by_month[t],
            title=f"Maidstone MARAC - cases heard - {MONTH_NAMES[m - 1]} {y}"))
    return rows_by_month


def _gen_s136(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "police_s136")
    exp = [(4.3 + 1.85 * (t - 6) / 48.0) * _seas(m, 0.15, 7) for t, (y, m) in enumerate(MONTHS)]
    counts = _series(rng, exp, S136_WINDOWS, noise=0.15)
    ref = _ref_counter(rng, 10, 300, 30)
    ages = ["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "unknown"]
    age_p = [0.03, 0.28, 0.26, 0.20, 0.14, 0.06, 0.02, 0.005, 0.005]
    places = ["health_based_place_of_safety", "emergency_department", "police_custody", "other"]
    out = []
    for t, (y, m) in enumerate(MONTHS):
        f = t / (NM - 1)
        custody = 0.35 - 0.33 * f
        p_place = [0.46 + 0.30 * f, 0.14 + 0.03 * f, custody, 0.05]
        n = int(counts[t])
        dates = _rand_dates(rng, y, m, n)
        pl = _cat(rng.random(n), p_place)
        ag = _cat(rng.random(n), age_p)
        sx = _cat(rng.random(n), [0.43, 0.56, 0.01])
        rows = [[f"S136/{d.year:04d}/{ref(d.year):05d}", d.isoformat(), places[int(pl[j])],
                 ages[int(ag[j])], ["female", "male", "unknown"][int(sx[j])]]
                for j, d in enumerate(dates)]
        summary.add("police_s136",
                    _write_csv(inbox / "police_s136" / f"s136_{MKEYS[t]}.csv", H_S136, rows))
        out.append(rows)
    return out


# --------------------------------------------------------------------------------------
# health
# --------------------------------------------------------------------------------------

AE_CATS = [(("N", "N", "Y"), 0.58), (("N", "Y", "N"), 0.17), (("N", "Y", "Y"), 0.16),
           (("Y", "Y", "N"), 0.04), (("Y", "Y", "Y"), 0.02), (("Y", "N", "N"), 0.03)]
AE_AGES = (["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "unknown"],
           [0.04, 0.24, 0.20, 0.16, 0.16, 0.10, 0.05, 0.03, 0.02])


def _gen_ae(inbox: Path, geo: _Geo, seed: int, summary: _Summary):
    rng = _rng(seed, "health_ae")
    exp = [112.0 * 1.03 ** _years_from(y, m) * _seas(m, 0.08, 12) * (1.06 if m in (7, 8) else 1.0)
           for y, m in MONTHS]
    counts = _series(rng, exp)
    ref = 100_000_000 + int(rng.integers(0, 50_000))
    cat_p = np.array([p for _c, p in AE_CATS])
    lsoa_p = geo.lsoa_p(0.6)
    for t, (y, m) in enumerate(MONTHS):
        n = int(counts[t])
        dates = _rand_dates(rng, y, m, n)
        cats = rng.choice(len(AE_CATS), size=n, p=cat_p / cat_p.sum())
        ages = _pick(rng, *AE_AGES, size=n)
        sexes = _pick(rng, ["female", "male", "unknown"], [0.395, 0.60, 0.005], size=n)
        lsoas = rng.choice(len(geo.lsoa), size=n, p=lsoa_p)
        no_lsoa = rng.random(n) < 0.03
        gaps = rng.integers(1, 400, size=n)
        rows = []
        for j in range(n):
            ref += int(gaps[j])
            da, assault, alcohol = AE_CATS[int(cats[j])][0]
            rows.append([f"AE{ref:09d}", dates[j].isoformat(), ages[j], sexes[j],
                         "" if no_lsoa[j] else geo.lsoa[int(lsoas[j])], da, assault, alcohol])
        summary.add("health_ae",
                    _write_csv(inbox / "health_ae" / f"ae_attendances_{MKEYS[t]}.csv", H_AE, rows))


ADM_WINDOWS = {
    "psychoactive_substances": [("2015-09", "2016-08", 504), ("2016-09", "2017-08", 583)],
    "alcohol_related": [("2015-04", "2016-03", 850), ("2016-04", "2017-03", 952)],
}
ADM_PROFILE = {  # male share, age distribution over AGE_BANDS
    "psychoactive_substances": (0.62, [0.02, 0.15, 0.25, 0.24, 0.20, 0.09, 0.04, 0.01]),
    "alcohol_related": (0.65, [0.01, 0.06, 0.10, 0.15, 0.23, 0.22, 0.15, 0.08]),
}


def _gen_admissions(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "health_admissions")
    totals = {
        "psychoactive_substances": _series(rng, [
            44.9 * 1.15 ** _years_from(y, m, 2016, 9) * _seas(m, 0.05, 12) for y, m in MONTHS],
            ADM_WINDOWS["psychoactive_substances"], noise=0.08),
        "alcohol_related": _series(rng, [
            74.9 * 1.12 ** _years_from(y, m, 2016, 4) * _seas(m, 0.06, 12) for y, m in MONTHS],
            ADM_WINDOWS["alcohol_related"], noise=0.08),
    }
    cells = {}
    for cond, (male, ages) in ADM_PROFILE.items():
        cells[cond] = [(a, s, ages[i] * (male if s == "male" else 1 - male))
                       for i, a in enumerate(AGE_BANDS) for s in SEXES]
    for t in range(NM):
        rows = []
        for cond in ("psychoactive_substances", "alcohol_related"):
            p = np.array([c[2] for c in cells[cond]])
            split = rng.multinomial(int(totals[cond][t]), p / p.sum())
            for (a, s, _p), k in zip(cells[cond], split):
                rows.append([MKEYS[t], cond, a, s, int(k)])
        summary.add("health_admissions",
                    _write_csv(inbox / "health_admissions" / f"admissions_{MKEYS[t]}.csv",
                               H_ADM, rows))


MH_WINDOWS = {
    "young_adults": [("2015-04", "2016-03", 1383), ("2016-04", "2017-03", 1232)],
    "older_adults": [("2015-04", "2016-03", 698), ("2016-04", "2017-03", 756)],
}


def _gen_mh(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "health_mh_referrals")
    series = {
        "children_young_people": _series(rng, [
            88.0 * 1.05 ** _years_from(y, m) * _seas(m, 0.12, 3) for y, m in MONTHS]),
        "young_adults": _series(rng, [
            109.0 * 0.90 ** _years_from(y, m, 2016, 4) * _seas(m, 0.05, 3) for y, m in MONTHS],
            MH_WINDOWS["young_adults"]),
        "older_adults": _series(rng, [
            60.5 * 1.08 ** _years_from(y, m, 2016, 4) * _seas(m, 0.06, 1) for y, m in MONTHS],
            MH_WINDOWS["older_adults"]),
    }
    for t in range(NM):
        rows = [[MKEYS[t], g, int(series[g][t])]
                for g in ("children_young_people", "young_adults", "older_adults")]
        summary.add("health_mh_referrals",
                    _write_csv(inbox / "health_mh_referrals" / f"mh_referrals_{MKEYS[t]}.csv",
                               H_MH, rows))


# --------------------------------------------------------------------------------------
# CGL and council
# --------------------------------------------------------------------------------------

CGL_GROUPS = ["opiate", "non_opiate", "alcohol", "alcohol_and_non_opiate"]
CGL_STOCK_SHARE = [0.52, 0.14, 0.24, 0.10]
CGL_NEW_SHARE = [0.33, 0.21, 0.34, 0.12]
CGL_EXIT_SHARE = [0.36, 0.20, 0.32, 0.12]
CGL_SUCCESS = [0.22, 0.60, 0.58, 0.48]
CGL_OUTREACH_SHARE = [0.50, 0.15, 0.25, 0.10]
CGL_WINDOWS = {
    "clients_in_treatment": [("2016-01", "2016-12", 6600), ("2017-01", "2017-12", 8514)],
    "new_presentations": [("2016-01", "2016-12", 552), ("2017-01", "2017-12", 498)],
}
NX_WINDOWS = [("2016-01", "2016-12", 9600), ("2017-01", "2017-12", 10848)]


def _gen_cgl_treatment(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "cgl_treatment")
    stock_exp = []
    for t, (y, m) in enumerate(MONTHS):
        if y < 2017:
            stock_exp.append(566.0 - 0.45 * t)
        else:
            stock_exp.append(602.0 + 19.0 * ((y - 2017) * 12 + m - 1))
    stock = _series(rng, stock_exp, CGL_WINDOWS["clients_in_treatment"], noise=0.012)
    new = _series(rng, [(46.0 if y < 2017 else 41.5) * _seas(m, 0.08, 2) for y, m in MONTHS],
                  CGL_WINDOWS["new_presentations"], noise=0.10)
    exits = _series(rng, [44.0 if y < 2017 else 34.0 for y, m in MONTHS])
    outreach = _series(rng, [20.0 if (y, m) < (2017, 1) else 31.0 for y, m in MONTHS])
    for t in range(NM):
        st = _lr(int(stock[t]), np.array(CGL_STOCK_SHARE) * rng.lognormal(0, 0.03, 4))
        nw = rng.multinomial(int(new[t]), CGL_NEW_SHARE)
        ex = rng.multinomial(int(exits[t]), CGL_EXIT_SHARE)
        ok = rng.binomial(ex, CGL_SUCCESS)
        orf = rng.multinomial(int(outreach[t]), CGL_OUTREACH_SHARE)
        eng = rng.binomial(orf, 0.62)
        rows = [[MKEYS[t], g, int(st[k]), int(nw[k]), int(ex[k]), int(ok[k]), int(orf[k]),
                 int(eng[k])] for k, g in enumerate(CGL_GROUPS)]
        summary.add("cgl_treatment", _write_xlsx(
            inbox / "cgl_treatment" / f"cgl_treatment_{MKEYS[t]}.xlsx", "Activity", H_CGL, rows))


NX_SITES = [  # id, type, relative volume, first month open
    ("NX001", "pharmacy", 0.10, "2013-04"), ("NX002", "pharmacy", 0.09, "2013-04"),
    ("NX003", "pharmacy", 0.07, "2013-04"), ("NX004", "pharmacy", 0.06, "2013-04"),
    ("NX005", "pharmacy", 0.06, "2013-04"), ("NX006", "pharmacy", 0.05, "2013-04"),
    ("NX007", "pharmacy", 0.05, "2013-04"), ("NX008", "pharmacy", 0.04, "2013-04"),
    ("NX009", "pharmacy", 0.04, "2013-04"), ("NX010", "cgl_hub", 0.30, "2013-04"),
    ("NX011", "outreach", 0.05, "2013-04"), ("NX012", "pharmacy", 0.05, "2015-07"),
]


def _gen_needle_exchange(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "cgl_needle_exchange")
    exp = [800.0 * 1.10 ** _years_from(y, m, 2016, 7) * _seas(m, 0.04, 1) for y, m in MONTHS]
    totals = _series(rng, exp, NX_WINDOWS, noise=0.05)
    for t in range(NM):
        sites = [s for s in NX_SITES if s[3] <= MKEYS[t]]
        split = _lr(int(totals[t]), np.array([s[2] for s in sites])
                    * rng.lognormal(0.0, 0.12, len(sites)))
        rows = [[MKEYS[t], s[0], s[1], int(k)] for s, k in zip(sites, split)]
        summary.add("cgl_needle_exchange", _write_csv(
            inbox / "cgl_needle_exchange" / f"needle_exchange_{MKEYS[t]}.csv", H_NX, rows))


NF_TYPES = (["street", "park", "public_toilet", "car_park", "alleyway", "other"],
            [0.35, 0.18, 0.08, 0.14, 0.20, 0.05])
NF_WARD_FACTOR = {"High Street": 6.0, "Park Wood": 2.5, "Shepway North": 2.0,
                  "Shepway South": 2.0, "North": 1.8, "East": 1.5, "Fant": 1.5, "Bridge": 1.5}


def _gen_needle_finds(inbox: Path, geo: _Geo, seed: int, summary: _Summary):
    rng = _rng(seed, "council_needle_finds")
    exp = [14.0 * 1.05 ** _years_from(y, m) * _seas(m, 0.25, 7) for y, m in MONTHS]
    counts = _series(rng, exp)
    w = np.array([geo.ward_nlsoa[i] * NF_WARD_FACTOR.get(
        geo.ward_name[wc], 0.3 if geo.ward_name[wc] in RURAL_WARDS else 1.0)
        for i, wc in enumerate(geo.wards)])
    ref = int(rng.integers(1000, 3000))
    out = []
    for t, (y, m) in enumerate(MONTHS):
        n = int(counts[t])
        dates = _rand_dates(rng, y, m, n)
        gaps = rng.integers(1, 4, size=n)
        ward = _cat(rng.random(n), w)
        kind = _cat(rng.random(n), NF_TYPES[1])
        needles = np.where(rng.random(n) < 0.02, rng.integers(20, 81, size=n),
                           np.minimum(50, rng.geometric(0.42, size=n)))
        rows = []
        for j, d in enumerate(dates):
            ref += int(gaps[j])
            rows.append([f"NF{ref:06d}", d.isoformat(), geo.wards[int(ward[j])],
                         NF_TYPES[0][int(kind[j])], int(needles[j])])
        summary.add("council_needle_finds", _write_csv(
            inbox / "council_needle_finds" / f"needle_finds_{MKEYS[t]}.csv", H_NF, rows))
        out.append(rows)
    return out


# --------------------------------------------------------------------------------------
# reference population (synthetic)
# --------------------------------------------------------------------------------------

WARD_PROFILES = {
    "town": [0.85, 1.45, 1.35, 1.05, 0.95, 0.85, 0.75, 0.75],
    "family": [1.25, 1.10, 1.15, 1.05, 0.95, 0.85, 0.80, 0.80],
    "rural": [0.98, 0.85, 0.80, 0.95, 1.08, 1.12, 1.18, 1.12],
    "other": [1.0] * 8,
}


def _district_cells(total: int, year: int, old_tilt: float, young_tilt: float) -> np.ndarray:
    share = np.array(BAND_SHARE, dtype=float)
    share[0] *= 1.0 + 0.002 * (year - 2016)
    share[1:3] *= 1.0 + young_tilt
    share[6:] *= (1.0 + old_tilt) * (1.0 + 0.012 * (year - 2016))
    share /= share.sum()
    cell_w = np.array([share[i] * (1 - MALE_FRAC[i] if s == "female" else MALE_FRAC[i])
                       for i in range(8) for s in SEXES])
    return _lr(total, cell_w)  # order: (band, sex) with sex female, male


def _gen_population(inbox: Path, geo: _Geo, seed: int, summary: _Summary) -> dict:
    rng = _rng(seed, "reference_population")
    size = (geo.ward_nlsoa + 0.6) * rng.lognormal(0.0, 0.08, len(geo.wards))
    prof = []
    for wc in geo.wards:
        name = geo.ward_name[wc]
        kind = ("town" if name in TOWN_WARDS else "family" if name in YOUNG_FAMILY_WARDS
                else "rural" if name in RURAL_WARDS else "other")
        prof.append(np.array(WARD_PROFILES[kind]) * rng.lognormal(0.0, 0.04, 8))
    prof = np.array(prof)  # wards x bands
    pops: dict = {}
    for year in range(2013, 2026):
        rows = []
        for code, _name, t2021, growth, old_t, young_t in DISTRICTS:
            total = round(t2021 * (1.0 + growth) ** (year - 2021))
            cells = _district_cells(total, year, old_t, young_t)
            k = 0
            for a in AGE_BANDS:
                for s in SEXES:
                    rows.append([year, code, "district", a, s, int(cells[k])])
                    pops[(year, code, a, s)] = int(cells[k])
                    k += 1
        ward_rows = {wc: [] for wc in geo.wards}
        for i, a in enumerate(AGE_BANDS):
            for s in SEXES:
                split = _lr(pops[(year, DISTRICT, a, s)], size * prof[:, i])
                for wi, wc in enumerate(geo.wards):
                    ward_rows[wc].append([year, wc, "ward", a, s, int(split[wi])])
                    pops[(year, wc, a, s)] = int(split[wi])
        for wc in geo.wards:
            rows += ward_rows[wc]
        summary.add("reference_population", _write_csv(
            inbox / "reference_population" / f"population_{year}.csv", H_POP, rows))
    return pops


# --------------------------------------------------------------------------------------
# resident survey
# --------------------------------------------------------------------------------------

# column, kind, population shape over codes 1..5, age effects (16-24..75+),
# sex effects (female, male), item non-response rate.
# A positive effect moves answers towards code 5 (less safe / less worried).
SURVEY_QUESTIONS = [
    ("q_safe_home", "safe", [0.60, 0.33, 0.04, 0.02, 0.01],
     [0.10, 0.05, 0.0, -0.05, -0.05, 0.0, 0.10], (0.05, -0.05), 0.008),
    ("q_safe_day", "safe", [0.53, 0.41, 0.03, 0.02, 0.01],
     [0.0, -0.05, -0.10, -0.05, 0.0, 0.10, 0.35], (0.10, -0.10), 0.012),
    ("q_safe_night", "safe", [0.20, 0.398, 0.187, 0.14, 0.075],
     [0.05, -0.05, -0.10, -0.05, 0.05, 0.15, 0.45], (0.35, -0.35), 0.02),
    ("q_worry_burglary", "worry", [0.14, 0.318, 0.19, 0.27, 0.082],
     [0.20, 0.05, -0.05, -0.10, -0.10, -0.05, 0.0], (-0.05, 0.05), 0.015),
    ("q_worry_assault", "worry", [0.09, 0.202, 0.23, 0.33, 0.148],
     [-0.10, 0.0, 0.05, 0.10, 0.10, 0.05, -0.10], (-0.20, 0.20), 0.018),
    ("q_worry_car_theft", "worry", [0.10, 0.234, 0.20, 0.31, 0.156],
     [0.10, 0.0, -0.10, -0.10, 0.0, 0.10, 0.40], (0.0, 0.0), 0.06),
    ("q_worry_fraud", "worry", [0.19, 0.374, 0.17, 0.20, 0.066],
     [0.30, 0.10, 0.0, -0.10, -0.15, -0.10, 0.0], (0.0, 0.0), 0.02),
    ("q_worry_pestered", "worry", [0.12, 0.26, 0.22, 0.28, 0.12],
     [-0.20, -0.05, 0.05, 0.10, 0.10, 0.05, 0.0], (-0.25, 0.25), 0.02),
]
S12, S1, S45 = (1, 2), (1,), (4, 5)
SURVEY_WAVES = {
    2015: {"n": 2104, "n_both": 1790, "miss_sex": 148, "miss_age": 122, "pop_year": 2014,
           "female": 0.56, "age": [0.05, 0.09, 0.13, 0.18, 0.20, 0.20, 0.15],
           "targets": {
               "q_safe_home": [(S12, None, 94.0)],
               "q_safe_day": [(S12, None, 95.0), (S1, None, 55.5)],
               "q_safe_night": [(S12, "male", 71.8), (S12, "female", 54.5),
                                (S12, None, 63.0), (S45, None, 18.6)],
               "q_worry_burglary": [(S12, None, 42.5)],
               "q_worry_assault": [(S12, None, 27.0)],
               "q_worry_car_theft": [(S12, None, 31.2)],
               "q_worry_fraud": [(S12, None, 51.0)],
               "q_worry_pestered": [(S12, None, 35.5)],
           }},
    2017: {"n": 2350, "n_both": 2008, "miss_sex": 160, "miss_age": 130, "pop_year": 2016,
           "female": 0.565, "age": [0.045, 0.085, 0.125, 0.175, 0.20, 0.215, 0.155],
           "targets": {
               "q_safe_home": [(S12, None, 93.0)],
               "q_safe_day": [(S12, None, 94.0), (S1, None, 53.0)],
               "q_safe_night": [(S12, "male", 68.6), (S12, "female", 51.1),
                                (S12, None, 59.8), (S45, None, 21.5)],
               "q_worry_burglary": [(S12, None, 45.8)],
               "q_worry_assault": [(S12, None, 29.2)],
               "q_worry_car_theft": [(S12, None, 33.4)],
               "q_worry_fraud": [(S12, None, 56.4)],
               "q_worry_pestered": [(S12, None, 38.0)],
           }},
}
ETHNIC = (["white", "asian", "mixed", "black", "other"], [0.940, 0.025, 0.013, 0.012, 0.010])
DISABILITY_P = [0.08, 0.09, 0.11, 0.15, 0.20, 0.25, 0.38]
ECON = ["employed", "self_employed", "unemployed", "retired", "student", "looking_after_home",
        "long_term_sick", "other"]
ECON_P = [
    [0.42, 0.02, 0.06, 0.00, 0.43, 0.02, 0.01, 0.04],
    [0.74, 0.08, 0.04, 0.00, 0.03, 0.06, 0.03, 0.02],
    [0.72, 0.11, 0.03, 0.00, 0.01, 0.07, 0.04, 0.02],
    [0.70, 0.12, 0.03, 0.01, 0.00, 0.05, 0.06, 0.03],
    [0.52, 0.11, 0.03, 0.22, 0.00, 0.04, 0.06, 0.02],
    [0.09, 0.06, 0.00, 0.82, 0.00, 0.01, 0.01, 0.01],
    [0.01, 0.01, 0.00, 0.96, 0.00, 0.01, 0.00, 0.01],
]
TENURE = ["owner_occupier", "social_rent", "private_rent", "other"]
TENURE_P = [[0.45, 0.15, 0.33, 0.07], [0.47, 0.15, 0.35, 0.03], [0.70, 0.13, 0.15, 0.02],
            [0.75, 0.12, 0.11, 0.02], [0.78, 0.12, 0.08, 0.02], [0.82, 0.13, 0.04, 0.01],
            [0.81, 0.14, 0.03, 0.02]]


def _tilt(pi, theta: float) -> np.ndarray:
    w = np.asarray(pi, dtype=float) * np.exp(theta * (np.arange(5) - 2))
    return w / w.sum()


def _weighted_shares(counts, w, targets):
    out = []
    for mask, filt, _t in targets:
        num = (w[filt][:, None] * counts[filt][:, mask]).sum()
        den = (w[filt] * counts[filt].sum(axis=1)).sum()
        out.append(100.0 * num / den)
    return np.array(out)


def _greedy(counts: np.ndarray, w: np.ndarray, targets) -> np.ndarray:
    """Move single answers between adjacent codes within cells until the weighted
    shares are as close as possible to their targets."""
    counts = counts.copy()
    goal = np.array([t for _m, _f, t in targets])
    masks = np.array([m for m, _f, _t in targets], dtype=float)       # T x 5
    filts = np.array([f for _m, f, _t in targets], dtype=float)       # T x C
    dens = np.array([(w * f * counts.sum(axis=1)).sum() for _m, f, _t in targets])
    moves = [(a, a + 1) for a in range(4)] + [(a + 1, a) for a in range(4)]
    for _ in range(5000):
        cur = _weighted_shares(counts, w, [(m.astype(bool), f.astype(bool), t)
                                           for m, f, t in zip(masks, filts, goal)])
        err = ((cur - goal) ** 2).sum()
        best, best_err = None, err - 1e-12
        for a, b in moves:
            # effect on each target share of moving one answer a -> b in each cell
            step = (masks[:, b] - masks[:, a])[:, None] / dens[:, None]
            delta = 100.0 * (filts * w[None, :]) * step
            new_err = ((cur[:, None] + delta - goal[:, None]) ** 2).sum(axis=0)
            new_err[counts[:, a] == 0] = np.inf
            c = int(np.argmin(new_err))
            if new_err[c] < best_err:
                best, best_err = (c, a, b), new_err[c]
        if best is None:
            break
        c, a, b = best
        counts[c, a] -= 1
        counts[c, b] += 1
    return counts


def _gen_survey(inbox: Path, geo: _Geo, seed: int, pops: dict, summary: _Summary) -> dict:
    rng = _rng(seed, "survey_responses")
    cells = [(a, s) for a in AGE16 for s in SEXES]
    out = {}
    for wave in sorted(SURVEY_WAVES):
        spec = SURVEY_WAVES[wave]
        py = spec["pop_year"]
        P = np.array([pops[(py, DISTRICT, a, s)] for a, s in cells], dtype=float)
        P /= P.sum()
        samp = np.array([spec["age"][i] * (spec["female"] if s == "female" else 1 - spec["female"])
                         for i, _a in enumerate(AGE16) for s in SEXES])
        n_cell = _lr(spec["n_both"], samp)
        w = P / (n_cell / spec["n_both"])
        n_extra = spec["n"] - spec["n_both"]
        extra_cells = rng.choice(len(cells), size=n_extra, p=samp / samp.sum())
        # respondent records: true cell, what they reported
        resp_cell = np.concatenate([np.repeat(np.arange(len(cells)), n_cell), extra_cells])
        n = len(resp_cell)
        show_age = np.ones(n, dtype=bool)
        show_sex = np.ones(n, dtype=bool)
        nb = spec["n_both"]
        ms, ma = spec["miss_sex"], spec["miss_age"]
        show_sex[nb:nb + ms] = False
        show_age[nb + ms:nb + ms + ma] = False
        show_age[nb + ms + ma:] = False
        show_sex[nb + ms + ma:] = False
        z = rng.normal(0.0, 1.0, n)                        # latent anxiety
        answers = np.zeros((len(SURVEY_QUESTIONS), n), dtype=np.int64)   # 0 = no answer
        for qi, (col, kind, pi, age_eff, sex_eff, nonresp) in enumerate(SURVEY_QUESTIONS):
            theta = np.array([age_eff[i] + sex_eff[0 if s == "female" else 1]
                              for i, _a in enumerate(AGE16) for s in SEXES])
            tlist = spec["targets"][col]
            is_f = np.array([s == "female" for _a, s in cells])
            # continuous pre-calibration of the cell distributions
            groups = ([("male", ~is_f), ("female", is_f)] if any(t[1] for t in tlist)
                      else [(None, np.ones(len(cells), dtype=bool))])
            dist = np.zeros((len(cells), 5))
            for sex, gm in groups:
                codes, _s, target = next(t for t in tlist if t[1] == sex)
                lo, hi = -6.0, 6.0
                for _ in range(60):
                    mid = (lo + hi) / 2
                    d = np.array([_tilt(pi, th + mid) for th in theta[gm]])
                    hit = d[:, [c - 1 for c in codes]].sum(axis=1)
                    share = 100.0 * (P[gm] * hit).sum() / P[gm].sum()
                    lo, hi = (mid, hi) if share > target else (lo, mid)
                dist[gm] = np.array([_tilt(pi, th + (lo + hi) / 2) for th in theta[gm]])
            answered = rng.random(n) >= nonresp
            m_cell = np.array([int((answered[:nb] & (resp_cell[:nb] == c)).sum())
                               for c in range(len(cells))])
            counts = np.array([_lr(m_cell[c], dist[c]) for c in range(len(cells))])
            targets = []
            for codes, sex, target in tlist:
                mask = np.zeros(5, dtype=bool)
                mask[[c - 1 for c in codes]] = True
                filt = np.ones(len(cells), dtype=bool) if sex is None else (
                    is_f if sex == "female" else ~is_f)
                targets.append((mask, filt, target))
            counts = _greedy(counts, w, targets)
            key = (z if kind == "safe" else -z) + rng.normal(0.0, 0.8, n)
            for c in range(len(cells)):
                idx = np.flatnonzero(answered[:nb] & (resp_cell[:nb] == c))
                idx = idx[np.argsort(key[idx], kind="stable")]
                answers[qi, idx] = np.repeat(np.arange(1, 6), counts[c])
            cum = np.cumsum(dist[resp_cell[nb:]], axis=1)
            extra = 1 + np.minimum((rng.random(n - nb)[:, None] > cum).sum(axis=1), 4)
            answers[qi, nb:] = np.where(answered[nb:], extra, 0)
        # other demographics
        order = rng.permutation(n)
        wpop = np.array([sum(pops[(py, wc, a, s)] for a in AGE16 for s in SEXES)
                         for wc in geo.wards], dtype=float)
        ward = rng.choice(len(geo.wards), size=n, p=wpop / wpop.sum())
        u = rng.random((n, 5))
        eth = _pick(rng, *ETHNIC, size=n)
        u_econ, u_ten, u_miss = rng.random(n), rng.random(n), rng.random(n)
        rows = []
        for rank, j in enumerate(order, start=1):
            j = int(j)
            ai = int(resp_cell[j]) // 2
            a, s = cells[int(resp_cell[j])]
            econ = ECON[int(_cat(u_econ[j], ECON_P[ai]))]
            ten = TENURE[int(_cat(u_ten[j], TENURE_P[ai]))]
            row = [f"R{rank:05d}", wave,
                   "" if u[j, 0] < 0.015 else geo.wards[int(ward[j])],
                   a if show_age[j] else "", s if show_sex[j] else "",
                   "" if u[j, 1] < 0.015 else eth[j],
                   "" if u[j, 2] < 0.02 else ("Y" if u[j, 3] < DISABILITY_P[ai] else "N"),
                   "" if u[j, 4] < 0.02 else econ,
                   "" if u_miss[j] < 0.02 else ten]
            row += ["" if answers[qi, j] == 0 else int(answers[qi, j])
                    for qi in range(len(SURVEY_QUESTIONS))]
            rows.append(row)
        summary.add("survey_responses", _write_csv(
            inbox / "survey_responses" / f"resident_survey_{wave}.csv", H_SURVEY, rows))
        out[wave] = rows
    return out


# --------------------------------------------------------------------------------------
# reference copies, faults, entry point
# --------------------------------------------------------------------------------------

def _copy_reference(inbox: Path, real_dir: Path, summary: _Summary) -> None:
    for source, name in REFERENCE_COPIES:
        src = real_dir / "ons" / name
        dst = inbox / source / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        if name.endswith(".geojson"):
            with open(dst, encoding="utf-8") as f:
                rows = len(json.load(f)["features"])
        else:
            with open(dst, newline="", encoding="utf-8-sig") as f:
                rows = sum(1 for _ in csv.reader(f)) - 1
        summary.add(source, rows)


FAKE_NAMES = ["Jane Smith", "Mark Taylor", "Sarah Brown", "Paul Wilson", "Emma Jones",
              "David Evans", "Claire Thomas", "Gary Roberts"]


def _write_faults(inbox: Path, seed: int, street_rows, da: _DA, marac_rows, s136_rows,
                  nf_rows, survey_rows) -> list[dict]:
    rng = _rng(seed, "faults")
    faults = []

    def note(source: str, path: Path, rule: str, detail: str) -> None:
        faults.append({"source": source, "file": path.relative_to(inbox).as_posix(),
                       "rule": rule, "detail": detail})

    # 1. DA resend with an unknown DASH risk grading
    rows = [list(r) for r in da.month_rows[-1]]
    k = int(rng.integers(0, len(rows)))
    rows[k][5] = "very high"
    p = inbox / "police_da_incidents" / "da_incidents_2018-02_resend.csv"
    _write_csv(p, H_DA, rows)
    note("police_da_incidents", p, "allowed_values",
         f"row {k + 1}: DASH Risk 'very high' is not one of standard, medium, high")

    # 2. admissions resend with a negative count
    with open(inbox / "health_admissions" / "admissions_2018-02.csv", newline="",
              encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    k = int(rng.integers(0, len(rows)))
    rows[k][4] = "-3"
    p = inbox / "health_admissions" / "admissions_2018-02_resend.csv"
    _write_csv(p, H_ADM, rows)
    note("health_admissions", p, "min", f"row {k + 1}: Admissions -3 is below the minimum 0")

    # 3. MARAC workbook with a duplicated case reference
    rows = [list(r) for r in marac_rows[-1]]
    rows[1][0] = rows[0][0]
    p = inbox / "marac_cases" / "marac_2018-02_resend.xlsx"
    _write_xlsx(p, "Cases", H_MARAC, rows,
                title="Maidstone MARAC - cases heard - February 2018")
    note("marac_cases", p, "unique", f"rows 1 and 2: Case Reference {rows[0][0]} appears twice")

    # 4. late survey returns with an out-of-range answer
    rows = [list(r) for r in survey_rows[2017][:40]]
    for i, r in enumerate(rows):
        r[0] = f"R{2351 + i:05d}"
    k = int(rng.integers(0, len(rows)))
    rows[k][H_SURVEY.index("Safe Night")] = 7
    p = inbox / "survey_responses" / "resident_survey_2017_late.csv"
    _write_csv(p, H_SURVEY, rows)
    note("survey_responses", p, "max", f"row {k + 1}: Safe Night 7 is above the maximum 5")

    # 5. police.uk file whose name claims February 2018 but whose rows are January 2018
    p = inbox / "police_street" / "2018-02-kent-resend-street.csv"
    _write_csv(p, H_STREET, street_rows[-2])
    note("police_street", p, "period_mismatch",
         "file name says 2018-02 but every row has Month 2018-01")

    # 6. needle finds saved in Windows-1252 with a 'café' location type
    rows = [list(r) for r in nf_rows[-1]] or [["NF999999", "2018-02-14", "E05004996", "street", 2]]
    k = int(rng.integers(0, len(rows)))
    rows[k][3] = "café"
    p = inbox / "council_needle_finds" / "needle_finds_2018-02_cp1252.csv"
    _write_csv(p, H_NF, rows, encoding="cp1252")
    note("council_needle_finds", p, "encoding",
         f"file is not UTF-8 (cp1252); row {k + 1} Location Type 'café' is also not allowed")

    # 7. s136 extract with a patient-name column (PII)
    rows = [list(r) + [FAKE_NAMES[int(rng.integers(0, len(FAKE_NAMES)))]] for r in s136_rows[-1]]
    p = inbox / "police_s136" / "s136_2018-02_resend.csv"
    _write_csv(p, H_S136 + ["Patient Name"], rows)
    note("police_s136", p, "pii_column",
         "column 'Patient Name' looks like a person's name (and is not in the contract)")
    return faults


SOURCE_ORDER = [
    "police_street", "police_da_incidents", "police_drug_offences", "police_s136", "marac_cases",
    "health_ae", "health_admissions", "health_mh_referrals", "cgl_treatment",
    "cgl_needle_exchange", "council_needle_finds", "survey_responses", "reference_population",
    "reference_lsoa11_ward_lad", "reference_ward_lad", "reference_lad",
    "reference_lsoa21_boundaries", "reference_lsoa11_boundaries",
]


def generate_demo_inbox(inbox: Path, real_dir: Path, with_faults: bool = False,
                        seed: int = 20180305) -> dict:
    """Write the demo inbox (``inbox/<source>/<file>``) and return
    ``{source: {"files": n, "rows": n}, ..., "faults": [...]}``.

    ``rows`` counts data rows (not headers or title rows) of the good files; ``faults``
    lists the deliberately broken files written when ``with_faults`` is true (each with
    source, file relative to the inbox, the rule it breaks and a detail), else ``[]``.
    """
    inbox = Path(inbox)
    real_dir = Path(real_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    summary = _Summary()
    geo = _Geo(real_dir, _rng(seed, "geo"))
    drug_lsoas, street_rows = _gen_police_street(inbox, geo, seed, summary)
    _gen_drug_offences(inbox, seed, drug_lsoas, summary)
    da = _gen_da_incidents(inbox, geo, seed, summary)
    s136_rows = _gen_s136(inbox, seed, summary)
    marac_rows = _gen_marac(inbox, seed, da, summary)
    _gen_ae(inbox, geo, seed, summary)
    _gen_admissions(inbox, seed, summary)
    _gen_mh(inbox, seed, summary)
    _gen_cgl_treatment(inbox, seed, summary)
    _gen_needle_exchange(inbox, seed, summary)
    nf_rows = _gen_needle_finds(inbox, geo, seed, summary)
    pops = _gen_population(inbox, geo, seed, summary)
    survey_rows = _gen_survey(inbox, geo, seed, pops, summary)
    _copy_reference(inbox, real_dir, summary)
    faults = (_write_faults(inbox, seed, street_rows, da, marac_rows, s136_rows, nf_rows,
                            survey_rows) if with_faults else [])
    result: dict = {s: dict(summary[s]) for s in SOURCE_ORDER if s in summary}
    result["faults"] = faults
    return result


def generate_reference_inbox(inbox: Path, real_dir: Path, seed: int = 20180305) -> dict:
    """Only the reference files: the ONS lookups (real, copied) and the population estimates
    (synthetic, 2013-2025, every Kent district + Maidstone wards) - for runs on real police.uk files."""
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    summary = _Summary()
    geo = _Geo(Path(real_dir), _rng(seed, "geo"))
    _gen_population(inbox, geo, seed, summary)
    _copy_reference(inbox, Path(real_dir), summary)
    return {s: dict(summary[s]) for s in SOURCE_ORDER if s in summary}


if __name__ == "__main__":  # pragma: no cover - convenience: python -m demo.generator OUT
    import sys
    import time

    here = Path(__file__).resolve().parents[1]
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "data" / "inbox"
    t0 = time.perf_counter()
    res = generate_demo_inbox(out, here.parent / "shared" / "real",
                              with_faults="--faults" in sys.argv)
    print(json.dumps(res, indent=1))
    print(f"{time.perf_counter() - t0:.1f} s")
