-- Grain: one row per month x condition x age band x sex (admissions, aggregate; latest file per month).
with source as (
    select raw_rows.*
    from raw.health_admissions as raw_rows
    inner join audit.latest_files('health_admissions') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.month = latest.period
)

select
    cast(month || '-01' as date) as month,
    condition,
    age_band,
    sex,
    cast(admissions as integer) as admissions,
    _file_id,
    _row_number,
from source
