-- Grain: one row per area (district or ward) the marts report on, with the district it belongs to.
-- Wards are of the one vintage reference.lsoa_placements used (2022 with the ONS 2021 LSOA lookup, else 2019).
-- Districts: every one seen in the placed police.uk records, plus the CSP area ({{ area_code }}); wards of each.
with crime_districts as (
    select distinct lad_code as district_code
    from intermediate.int_police__street_crimes_placed
    where lad_code is not null
),

districts as (
    select district_code, true as in_street_crimes from crime_districts
    union all
    select '{{ area_code }}', false
    where '{{ area_code }}' not in (select district_code from crime_districts)
),

placement_vintage as (
    select coalesce(max(ward_vintage), '2019') as ward_vintage from reference.lsoa_placements
),

all_wards as (
    select ward_code, lad_code, ward_vintage from staging.stg_reference__wards
    union all
    select distinct ward_code, lad_code, '2022' from staging.stg_reference__lsoa21_lookups
),

wards as (
    select * from all_wards
    where ward_vintage = (select ward_vintage from placement_vintage)
),

final as (
    select
        district_code as area_code,
        'district' as area_type,
        district_code,
        district_code = '{{ area_code }}' as is_csp_area,
        in_street_crimes,
        cast(null as varchar) as ward_vintage,
    from districts
    union all
    select
        wards.ward_code,
        'ward',
        wards.lad_code,
        wards.lad_code = '{{ area_code }}',
        districts.in_street_crimes,
        wards.ward_vintage,
    from wards
    inner join districts
        on wards.lad_code = districts.district_code
)

select * from final
