-- Grain: one row per mid-year x area x age band x sex (latest file per year).
with source as (
    select raw_rows.*
    from raw.reference_population as raw_rows
    inner join audit.latest_files('reference_population') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.year = latest.period
)

select
    cast(year as integer) as year,
    area_code,
    area_type,
    age_band,
    sex,
    cast(population as integer) as population,
from source
