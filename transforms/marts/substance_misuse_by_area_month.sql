-- Grain: one row per area x month: CGL treatment and needle exchange (CSP district), needle finds
-- (district and wards). Null = that source sent no file for the month.
with areas as (
    select area_code, area_type, ward_vintage from intermediate.int_areas where is_csp_area
),

months as (
    select distinct month from staging.stg_audit__loaded_periods
    where source in ('cgl_treatment', 'cgl_needle_exchange', 'council_needle_finds')
),

loaded as (
    select
        month,
        bool_or(source = 'cgl_treatment') as has_treatment,
        bool_or(source = 'cgl_needle_exchange') as has_exchange,
        bool_or(source = 'council_needle_finds') as has_finds,
    from staging.stg_audit__loaded_periods
    group by all
),

treatment as (
    select
        month,
        sum(clients_in_treatment) as cgl_clients_in_treatment,
        sum(new_presentations) as cgl_new_presentations,
        sum(exits) as cgl_exits,
        sum(successful_completions) as cgl_successful_completions,
        sum(outreach_referrals) as cgl_outreach_referrals,
        sum(outreach_engaged) as cgl_outreach_engaged,
    from staging.stg_cgl__treatment_activities
    group by all
),

exchange as (
    select month, sum(transactions) as needle_exchange_transactions
    from staging.stg_cgl__needle_exchange_transactions
    group by all
),

finds as (
    select
        case when grouping(ward_code) = 1 then '{{ area_code }}' else ward_code end as area_code,
        month,
        count(*) as needle_finds,
        sum(needles) as needles_collected,
    from staging.stg_council__needle_finds
    group by grouping sets ((month), (ward_code, month))
),

final as (
    select
        areas.area_code,
        areas.area_type,
        areas.ward_vintage,
        months.month,
        case when areas.area_type = 'district' and loaded.has_treatment then treatment.cgl_clients_in_treatment end as cgl_clients_in_treatment,
        case when areas.area_type = 'district' and loaded.has_treatment then coalesce(treatment.cgl_new_presentations, 0) end as cgl_new_presentations,
        case when areas.area_type = 'district' and loaded.has_treatment then coalesce(treatment.cgl_exits, 0) end as cgl_exits,
        case when areas.area_type = 'district' and loaded.has_treatment then coalesce(treatment.cgl_successful_completions, 0) end as cgl_successful_completions,
        case when areas.area_type = 'district' and loaded.has_treatment then coalesce(treatment.cgl_outreach_referrals, 0) end as cgl_outreach_referrals,
        case when areas.area_type = 'district' and loaded.has_treatment then coalesce(treatment.cgl_outreach_engaged, 0) end as cgl_outreach_engaged,
        case when areas.area_type = 'district' and loaded.has_exchange then coalesce(exchange.needle_exchange_transactions, 0) end as needle_exchange_transactions,
        case when loaded.has_finds then coalesce(finds.needle_finds, 0) end as needle_finds,
        case when loaded.has_finds then coalesce(finds.needles_collected, 0) end as needles_collected,
    from areas
    cross join months
    left join loaded on loaded.month = months.month
    left join treatment on treatment.month = months.month
    left join exchange on exchange.month = months.month
    left join finds on finds.area_code = areas.area_code and finds.month = months.month
)

select * from final
