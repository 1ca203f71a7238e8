-- Grain: one row per Mental Health Act s136 detention (latest file per month).
with source as (
    select raw_rows.*
    from raw.police_s136 as raw_rows
    inner join audit.latest_files('police_s136') as latest
        on raw_rows._file_id = latest.file_id
        and left(raw_rows.detention_date, 7) = latest.period
)

select
    detention_ref,
    cast(detention_date as date) as detention_date,
    date_trunc('month', cast(detention_date as date)) as month,
    place_of_safety,
    place_of_safety = 'police_custody' as is_police_custody,
    age_band,
    sex,
    _file_id,
    _row_number,
from source
