-- Grain: one row per case heard at a MARAC meeting (latest file per month).
with source as (
    select raw_rows.*
    from raw.marac_cases as raw_rows
    inner join audit.latest_files('marac_cases') as latest
        on raw_rows._file_id = latest.file_id
        and left(raw_rows.meeting_date, 7) = latest.period
)

select
    case_ref,
    cast(meeting_date as date) as meeting_date,
    date_trunc('month', cast(meeting_date as date)) as month,
    victim_key,
    repeat_case = 'Y' as is_repeat_case,
    referring_agency,
    _file_id,
    _row_number,
from source
