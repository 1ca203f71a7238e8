-- Grain: one row per area (district or ward) x month, police.uk street-level crime and ASB counts.
-- Every district seen in the force's files; wards where the LSOA could be placed. Zero-filled for loaded months.
with crimes as (
    select * from intermediate.int_police__street_crimes_placed where lad_code is not null
),

months as (
    select month from staging.stg_audit__loaded_periods where source = 'police_street'
),

areas as (
    select area_code, area_type, district_code, ward_vintage from intermediate.int_areas where in_street_crimes
),

counted as (
    select
        case when grouping(ward_code) = 1 then lad_code else ward_code end as area_code,
        case when grouping(ward_code) = 1 then 'district' else 'ward' end as area_type,
        month,
        count(*) filter (where is_asb) as asb_incidents,
        count(*) filter (where not is_asb) as all_crimes,
        count(*) filter (where crime_type = 'Drugs') as drug_offences,
        count(*) filter (where crime_type = 'Violence and sexual offences') as vatp_offences,
        count(*) filter (where crime_type = 'Burglary') as burglary_offences,
        count(*) filter (where crime_type = 'Possession of weapons') as weapons_offences,
        count(*) filter (where crime_type = 'Public order') as public_order_offences,
    from crimes
    group by grouping sets ((lad_code, month), (lad_code, ward_code, month))
    having area_code is not null
),

final as (
    select
        areas.area_code,
        areas.area_type,
        areas.district_code,
        areas.ward_vintage,
        months.month,
        coalesce(counted.asb_incidents, 0) as asb_incidents,
        coalesce(counted.all_crimes, 0) as all_crimes,
        coalesce(counted.drug_offences, 0) as drug_offences,
        coalesce(counted.vatp_offences, 0) as vatp_offences,
        coalesce(counted.burglary_offences, 0) as burglary_offences,
        coalesce(counted.weapons_offences, 0) as weapons_offences,
        coalesce(counted.public_order_offences, 0) as public_order_offences,
    from areas
    cross join months
    left join counted
        on counted.area_code = areas.area_code
        and counted.area_type = areas.area_type
        and counted.month = months.month
)

select * from final
