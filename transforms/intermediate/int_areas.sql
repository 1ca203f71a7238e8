-- Grain: one row per area (district or 2019 ward) the marts report on, with the district it belongs to.
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

wards as (
    select * from staging.stg_reference__wards
),

final as (
    select
        district_code as area_code,
        'district' as area_type,
        district_code,
        district_code = '{{ area_code }}' as is_csp_area,
        in_street_crimes,
    from districts
    union all
    select
        wards.ward_code,
        'ward',
        wards.lad_code,
        wards.lad_code = '{{ area_code }}',
        districts.in_street_crimes,
    from wards
    inner join districts
        on wards.lad_code = districts.district_code
)

select * from final
