-- Grain: one row per area (district or ward) x month x police.uk crime type (ASB included as its own type).
-- Zero-filled for every loaded month and every type seen in the force's files; the Strategic Assessment's input.
with records as (
    select * from intermediate.int_police__street_crimes_placed where lad_code is not null
),

months as (
    select month from staging.stg_audit__loaded_periods where source = 'police_street'
),

areas as (
    select area_code, area_type, district_code, ward_vintage from intermediate.int_areas where in_street_crimes
),

crime_types as (
    select distinct crime_type, is_asb from records where crime_type is not null
),

counted as (
    select
        case when grouping(ward_code) = 1 then lad_code else ward_code end as area_code,
        case when grouping(ward_code) = 1 then 'district' else 'ward' end as area_type,
        month,
        crime_type,
        count(*) as records,
    from records
    group by grouping sets ((lad_code, month, crime_type), (lad_code, ward_code, month, crime_type))
    having area_code is not null
),

final as (
    select
        areas.area_code,
        areas.area_type,
        areas.district_code,
        areas.ward_vintage,
        months.month,
        crime_types.crime_type,
        crime_types.is_asb,
        coalesce(counted.records, 0) as records,
    from areas
    cross join months
    cross join crime_types
    left join counted
        on counted.area_code = areas.area_code
        and counted.area_type = areas.area_type
        and counted.month = months.month
        and counted.crime_type = crime_types.crime_type
)

select * from final
