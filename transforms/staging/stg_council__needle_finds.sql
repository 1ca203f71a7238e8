-- Grain: one row per location where discarded needles were found and removed (latest file per month).
with source as (
    select raw_rows.*
    from raw.council_needle_finds as raw_rows
    inner join audit.latest_files('council_needle_finds') as latest
        on raw_rows._file_id = latest.file_id
        and left(raw_rows.find_date, 7) = latest.period
)

select
    find_ref,
    cast(find_date as date) as find_date,
    date_trunc('month', cast(find_date as date)) as month,
    ward_code,
    location_type,
    cast(needles as integer) as needles,
    _file_id,
    _row_number,
from source
