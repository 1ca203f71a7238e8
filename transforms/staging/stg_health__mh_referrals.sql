-- Grain: one row per month x age group of mental-health referrals (latest file per month).
with source as (
    select raw_rows.*
    from raw.health_mh_referrals as raw_rows
    inner join audit.latest_files('health_mh_referrals') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.month = latest.period
)

select
    cast(month || '-01' as date) as month,
    age_group,
    cast(referrals as integer) as referrals,
    _file_id,
    _row_number,
from source
