-- Grain: one row per area (the CSP district and its wards) x month: DA incidents, repeats, NFA, BME,
-- MARAC cases and DA-linked A&E attendances. Zero-filled for months each source delivered.
with incidents as (
    select * from intermediate.int_police__da_incidents_placed
),

attendances as (
    select * from intermediate.int_health__ae_attendances_placed
),

areas as (
    select area_code, area_type, ward_vintage from intermediate.int_areas where is_csp_area
),

incident_counts as (
    select
        case when grouping(ward_code) = 1 then '{{ area_code }}' else ward_code end as area_code,
        case when grouping(ward_code) = 1 then 'district' else 'ward' end as area_type,
        month,
        count(*) as da_incidents,
        count(*) filter (where is_repeat_victim) as da_repeat_incidents,
        count(*) filter (where is_victim_declined_nfa) as da_victim_declined_nfa,
        count(*) filter (where is_bme_victim) as da_bme_incidents,
        count(*) filter (where ethnicity_stated) as da_ethnicity_stated_incidents,
        count(*) filter (where dash_risk = 'high') as da_high_risk_incidents,
        count(*) filter (where record_type = 'crime') as da_crimes,
    from incidents
    group by grouping sets ((month), (ward_code, month))
    having area_code is not null
),

marac_counts as (
    select
        '{{ area_code }}' as area_code,
        'district' as area_type,
        month,
        count(*) as marac_cases,
        count(*) filter (where is_repeat_case) as marac_repeat_cases,
    from staging.stg_marac__cases
    group by all
),

ae_counts as (
    select
        case when grouping(ward_code) = 1 then '{{ area_code }}' else ward_code end as area_code,
        case when grouping(ward_code) = 1 then 'district' else 'ward' end as area_type,
        month,
        count(*) filter (where is_da_linked) as ae_da_linked_attendances,
        count(*) filter (where is_assault) as ae_assault_attendances,
        count(*) filter (where is_alcohol) as ae_alcohol_attendances,
    from attendances
    group by grouping sets ((month), (ward_code, month))
    having area_code is not null
),

incident_grid as (
    select areas.*, periods.month
    from areas cross join staging.stg_audit__loaded_periods as periods
    where periods.source = 'police_da_incidents'
),

marac_grid as (
    select '{{ area_code }}' as area_code, 'district' as area_type, periods.month
    from staging.stg_audit__loaded_periods as periods
    where periods.source = 'marac_cases'
),

ae_grid as (
    select areas.*, periods.month
    from areas cross join staging.stg_audit__loaded_periods as periods
    where periods.source = 'health_ae'
),

final as (
    select
        grid.area_code,
        grid.area_type,
        grid.month,
        areas.ward_vintage,
        case when incident_grid.month is not null then coalesce(incident_counts.da_incidents, 0) end as da_incidents,
        case when incident_grid.month is not null then coalesce(incident_counts.da_repeat_incidents, 0) end as da_repeat_incidents,
        case when incident_grid.month is not null then coalesce(incident_counts.da_victim_declined_nfa, 0) end as da_victim_declined_nfa,
        case when incident_grid.month is not null then coalesce(incident_counts.da_bme_incidents, 0) end as da_bme_incidents,
        case when incident_grid.month is not null then coalesce(incident_counts.da_ethnicity_stated_incidents, 0) end as da_ethnicity_stated_incidents,
        case when incident_grid.month is not null then coalesce(incident_counts.da_high_risk_incidents, 0) end as da_high_risk_incidents,
        case when incident_grid.month is not null then coalesce(incident_counts.da_crimes, 0) end as da_crimes,
        case when marac_grid.month is not null then coalesce(marac_counts.marac_cases, 0) end as marac_cases,
        case when marac_grid.month is not null then coalesce(marac_counts.marac_repeat_cases, 0) end as marac_repeat_cases,
        case when ae_grid.month is not null then coalesce(ae_counts.ae_da_linked_attendances, 0) end as ae_da_linked_attendances,
        case when ae_grid.month is not null then coalesce(ae_counts.ae_assault_attendances, 0) end as ae_assault_attendances,
        case when ae_grid.month is not null then coalesce(ae_counts.ae_alcohol_attendances, 0) end as ae_alcohol_attendances,
    from (
        select area_code, area_type, month from incident_grid
        union select area_code, area_type, month from marac_grid
        union select area_code, area_type, month from ae_grid
    ) as grid
    left join areas using (area_code, area_type)
    left join incident_grid using (area_code, area_type, month)
    left join marac_grid using (area_code, area_type, month)
    left join ae_grid using (area_code, area_type, month)
    left join incident_counts using (area_code, area_type, month)
    left join marac_counts using (area_code, area_type, month)
    left join ae_counts using (area_code, area_type, month)
)

select * from final
