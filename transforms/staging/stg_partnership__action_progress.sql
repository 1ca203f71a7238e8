-- Grain: one row per action per progress update (latest file per month; a resent month supersedes).
with source as (
    select raw_rows.*
    from raw.action_progress as raw_rows
    inner join audit.latest_files('action_progress') as latest
        on raw_rows._file_id = latest.file_id
        and left(raw_rows.update_date, 7) = latest.period
)

select
    plan_year,
    action_id,
    cast(update_date as date) as update_date,
    status,
    progress_note,
    reporting_agency,
    _file_id,
    _row_number,
from source
