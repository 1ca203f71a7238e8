-- Grain: one row per recorded drug offence with its Home Office offence group (latest file per month).
with source as (
    select raw_rows.*
    from raw.police_drug_offences as raw_rows
    inner join audit.latest_files('police_drug_offences') as latest
        on raw_rows._file_id = latest.file_id
        and left(raw_rows.offence_date, 7) = latest.period
)

select
    crime_ref,
    cast(offence_date as date) as offence_date,
    date_trunc('month', cast(offence_date as date)) as month,
    offence_group,
    drug_class,
    lsoa_code,
    _file_id,
    _row_number,
from source
