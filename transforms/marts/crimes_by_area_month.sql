-- Grain: one row per area (district or ward) x month, police.uk street-level crime and ASB counts.
-- Every district seen in the force's files; wards where the LSOA could be placed. Zero-filled for loaded months.
-- The monthly totals of marts.crimes_by_type_area_month (one count of the records, so the two cannot disagree).
with by_type as (
    select * from marts.crimes_by_type_area_month
),

final as (
    select
        area_code,
        area_type,
        district_code,
        ward_vintage,
        month,
        coalesce(sum(records) filter (where is_asb), 0)::bigint as asb_incidents,
        coalesce(sum(records) filter (where not is_asb), 0)::bigint as all_crimes,
        coalesce(sum(records) filter (where crime_type = 'Drugs'), 0)::bigint as drug_offences,
        coalesce(sum(records) filter (where crime_type = 'Violence and sexual offences'), 0)::bigint as vatp_offences,
        coalesce(sum(records) filter (where crime_type = 'Burglary'), 0)::bigint as burglary_offences,
        coalesce(sum(records) filter (where crime_type = 'Possession of weapons'), 0)::bigint as weapons_offences,
        coalesce(sum(records) filter (where crime_type = 'Public order'), 0)::bigint as public_order_offences,
    from by_type
    group by area_code, area_type, district_code, ward_vintage, month
)

select * from final
