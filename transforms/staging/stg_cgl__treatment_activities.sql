-- Grain: one row per month x substance group of CGL treatment activity (latest file per month).
with source as (
    select raw_rows.*
    from raw.cgl_treatment as raw_rows
    inner join audit.latest_files('cgl_treatment') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.month = latest.period
)

select
    cast(month || '-01' as date) as month,
    substance_group,
    cast(clients_in_treatment as integer) as clients_in_treatment,
    cast(new_presentations as integer) as new_presentations,
    cast(exits as integer) as exits,
    cast(successful_completions as integer) as successful_completions,
    cast(outreach_referrals as integer) as outreach_referrals,
    cast(outreach_engaged as integer) as outreach_engaged,
    _file_id,
    _row_number,
from source
