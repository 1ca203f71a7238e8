-- Grain: one row per area (CSP district and wards) x month: drug offences by Home Office group.
with offences as (
    select * from intermediate.int_police__drug_offences_placed
),

areas as (
    select area_code, area_type, ward_vintage from intermediate.int_areas where is_csp_area
),

counted as (
    select
        case when grouping(ward_code) = 1 then '{{ area_code }}' else ward_code end as area_code,
        case when grouping(ward_code) = 1 then 'district' else 'ward' end as area_type,
        month,
        count(*) filter (where offence_group = 'possession') as drug_possession_offences,
        count(*) filter (where offence_group = 'trafficking') as drug_trafficking_offences,
    from offences
    group by grouping sets ((month), (ward_code, month))
    having area_code is not null
),

final as (
    select
        areas.area_code,
        areas.area_type,
        areas.ward_vintage,
        periods.month,
        coalesce(counted.drug_possession_offences, 0) as drug_possession_offences,
        coalesce(counted.drug_trafficking_offences, 0) as drug_trafficking_offences,
    from areas
    cross join staging.stg_audit__loaded_periods as periods
    left join counted
        on counted.area_code = areas.area_code
        and counted.area_type = areas.area_type
        and counted.month = periods.month
    where periods.source = 'police_drug_offences'
)

select * from final
