-- Grain: one row per domestic-abuse flagged incident or crime (latest file per month).
-- is_repeat_victim = the same victim had another DA incident in the 365 days before (computed here once).
with incidents as (
    select * from staging.stg_police__da_incidents
),

repeats_flagged as (
    select
        *,
        count(*) over (
            partition by victim_key
            order by incident_date
            range between interval 365 days preceding and interval 1 day preceding
        ) > 0 as is_repeat_victim,
    from incidents
)

select * from repeats_flagged
