-- Grain: one row per month for the CSP district: s136 detentions, admissions (psychoactive
-- substances, alcohol) and mental-health referrals by age group. Null = that source sent no file.
with months as (
    select distinct month from staging.stg_audit__loaded_periods
    where source in ('police_s136', 'health_admissions', 'health_mh_referrals')
),

loaded as (
    select
        month,
        bool_or(source = 'police_s136') as has_s136,
        bool_or(source = 'health_admissions') as has_admissions,
        bool_or(source = 'health_mh_referrals') as has_referrals,
    from staging.stg_audit__loaded_periods
    group by all
),

s136 as (
    select month, count(*) as s136_detentions, count(*) filter (where is_police_custody) as s136_police_custody
    from staging.stg_police__s136_detentions
    group by all
),

admissions as (
    select
        month,
        sum(admissions) filter (where condition = 'psychoactive_substances') as psychoactive_admissions,
        sum(admissions) filter (where condition = 'alcohol_related') as alcohol_admissions,
    from staging.stg_health__admissions
    group by all
),

referrals as (
    select
        month,
        sum(referrals) filter (where age_group = 'young_adults') as mh_referrals_young_adults,
        sum(referrals) filter (where age_group = 'older_adults') as mh_referrals_older_adults,
        sum(referrals) filter (where age_group = 'children_young_people') as mh_referrals_children,
    from staging.stg_health__mh_referrals
    group by all
),

final as (
    select
        '{{ area_code }}' as area_code,
        'district' as area_type,
        months.month,
        case when loaded.has_s136 then coalesce(s136.s136_detentions, 0) end as s136_detentions,
        case when loaded.has_s136 then coalesce(s136.s136_police_custody, 0) end as s136_police_custody,
        case when loaded.has_admissions then coalesce(admissions.psychoactive_admissions, 0) end as psychoactive_admissions,
        case when loaded.has_admissions then coalesce(admissions.alcohol_admissions, 0) end as alcohol_admissions,
        case when loaded.has_referrals then coalesce(referrals.mh_referrals_young_adults, 0) end as mh_referrals_young_adults,
        case when loaded.has_referrals then coalesce(referrals.mh_referrals_older_adults, 0) end as mh_referrals_older_adults,
        case when loaded.has_referrals then coalesce(referrals.mh_referrals_children, 0) end as mh_referrals_children,
    from months
    left join loaded using (month)
    left join s136 using (month)
    left join admissions using (month)
    left join referrals using (month)
)

select * from final
