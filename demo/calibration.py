"""The demo's calibration as data: place and calendar, RNG streams, population structure,
and per source the published figures (windows and totals) and the profiles the generator draws from.

The figures are those of the SMP Strategic Assessment 2018 (see demo/generator.py for how they
are made to hold exactly). Headers are not here: they come from the contracts
(expectations/sources.yml) through demo.common.headers.
"""
from __future__ import annotations

from typing import TypedDict

DISTRICT = "E07000110"

LSOA11_LOOKUP = "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv"
WARD_LOOKUP = "jtrim_csv_056_WD19_LAD19_UK_LU.csv"
LAD_CODES = "drkane_la_all_codes.csv"
LSOA21_GEOJSON = "drkane_boundaries_lsoa_E07000110.geojson"
LSOA11_GEOJSON = "drkane_boundaries_lsoa11_E07000110.geojson"
# 2022 ward polygons: Maidstone's 26 wards kept every December 2019 code in 2022 (a ward code changes
# whenever its boundary does), so they are also the boundaries of the 2019 wards the demo uses.
WARD22_GEOJSON = "drkane_boundaries_ward22_E07000110.geojson"
LSOA21_LOOKUP = "Birmingham-and-Solihull-ICS_BSOL_Outcomes_Framework_LSOA21_WD22_LAD22_EW_LU_v3.csv"

# `csp reference` (runs on real police.uk files, 2021 LSOAs from 2024) also copies the 2021 LSOA → 2022 ward
# lookup; the demo (2013-2018, 2011 LSOAs) does not, so its wards stay the 2019 wards.
LIVE_REFERENCE_COPIES = [("reference_lsoa21_ward_lad", LSOA21_LOOKUP)]

REFERENCE_COPIES = [
    ("reference_lsoa11_ward_lad", LSOA11_LOOKUP),
    ("reference_ward_lad", WARD_LOOKUP),
    ("reference_lad", LAD_CODES),
    ("reference_lsoa21_boundaries", LSOA21_GEOJSON),
    ("reference_lsoa11_boundaries", LSOA11_GEOJSON),
    ("reference_ward_boundaries", WARD22_GEOJSON),
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


MARAC_AGENCY = ["police", "idva", "health", "housing", "childrens_services", "probation", "other"]
MARAC_AGENCY_P_NEW = [0.66, 0.10, 0.08, 0.04, 0.08, 0.02, 0.02]
MARAC_AGENCY_P_REP = [0.50, 0.25, 0.08, 0.05, 0.07, 0.03, 0.02]


# --------------------------------------------------------------------------------------
# health
# --------------------------------------------------------------------------------------

AE_CATS = [(("N", "N", "Y"), 0.58), (("N", "Y", "N"), 0.17), (("N", "Y", "Y"), 0.16),
           (("Y", "Y", "N"), 0.04), (("Y", "Y", "Y"), 0.02), (("Y", "N", "N"), 0.03)]
AE_AGES = (["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "unknown"],
           [0.04, 0.24, 0.20, 0.16, 0.16, 0.10, 0.05, 0.03, 0.02])


ADM_WINDOWS = {
    "psychoactive_substances": [("2015-09", "2016-08", 504), ("2016-09", "2017-08", 583)],
    "alcohol_related": [("2015-04", "2016-03", 850), ("2016-04", "2017-03", 952)],
}
ADM_PROFILE = {  # male share, age distribution over AGE_BANDS
    "psychoactive_substances": (0.62, [0.02, 0.15, 0.25, 0.24, 0.20, 0.09, 0.04, 0.01]),
    "alcohol_related": (0.65, [0.01, 0.06, 0.10, 0.15, 0.23, 0.22, 0.15, 0.08]),
}


MH_WINDOWS = {
    "young_adults": [("2015-04", "2016-03", 1383), ("2016-04", "2017-03", 1232)],
    "older_adults": [("2015-04", "2016-03", 698), ("2016-04", "2017-03", 756)],
}


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


NX_SITES = [  # id, type, relative volume, first month open
    ("NX001", "pharmacy", 0.10, "2013-04"), ("NX002", "pharmacy", 0.09, "2013-04"),
    ("NX003", "pharmacy", 0.07, "2013-04"), ("NX004", "pharmacy", 0.06, "2013-04"),
    ("NX005", "pharmacy", 0.06, "2013-04"), ("NX006", "pharmacy", 0.05, "2013-04"),
    ("NX007", "pharmacy", 0.05, "2013-04"), ("NX008", "pharmacy", 0.04, "2013-04"),
    ("NX009", "pharmacy", 0.04, "2013-04"), ("NX010", "cgl_hub", 0.30, "2013-04"),
    ("NX011", "outreach", 0.05, "2013-04"), ("NX012", "pharmacy", 0.05, "2015-07"),
]


NF_TYPES = (["street", "park", "public_toilet", "car_park", "alleyway", "other"],
            [0.35, 0.18, 0.08, 0.14, 0.20, 0.05])
NF_WARD_FACTOR = {"High Street": 6.0, "Park Wood": 2.5, "Shepway North": 2.0,
                  "Shepway South": 2.0, "North": 1.8, "East": 1.5, "Fant": 1.5, "Bridge": 1.5}


# --------------------------------------------------------------------------------------
# reference population (synthetic)
# --------------------------------------------------------------------------------------

WARD_PROFILES = {
    "town": [0.85, 1.45, 1.35, 1.05, 0.95, 0.85, 0.75, 0.75],
    "family": [1.25, 1.10, 1.15, 1.05, 0.95, 0.85, 0.80, 0.80],
    "rural": [0.98, 0.85, 0.80, 0.95, 1.08, 1.12, 1.18, 1.12],
    "other": [1.0] * 8,
}


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


class SurveyWave(TypedDict):
    """One survey wave: sample sizes, missing sex/age, population year, sample profile, and per
    question the published shares (answer codes, sex or None for all, percent) to hit."""

    n: int
    n_both: int
    miss_sex: int
    miss_age: int
    pop_year: int
    female: float
    age: list[float]
    targets: dict[str, list[tuple[tuple[int, ...], str | None, float]]]


SURVEY_WAVES: dict[int, SurveyWave] = {
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


FAKE_NAMES = ["Jane Smith", "Mark Taylor", "Sarah Brown", "Paul Wilson", "Emma Jones",
              "David Evans", "Claire Thomas", "Gary Roberts"]
