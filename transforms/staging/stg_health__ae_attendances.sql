-- Grain: one row per A&E attendance with a community-safety flag (latest file per month).
with source as (
    select raw_rows.*
    from raw.health_ae as raw_rows
    inner join audit.latest_files('health_ae') as latest
        on raw_rows._file_id = latest.file_id
        and left(raw_rows.attendance_date, 7) = latest.period
)

select
    attendance_ref,
    cast(attendance_date as date) as attendance_date,
    date_trunc('month', cast(attendance_date as date)) as month,
    age_band,
    sex,
    lsoa_of_residence as lsoa_code,
    da_linked = 'Y' as is_da_linked,
    assault = 'Y' as is_assault,
    alcohol = 'Y' as is_alcohol,
    _file_id,
    _row_number,
from source
