-- Grain: one row per assessment year x theme x scoring agency (stakeholder scores, latest workbook per year).
with source as (
    select raw_rows.*
    from raw.partnership_priority_scores as raw_rows
    inner join audit.latest_files('partnership_priority_scores') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.year = latest.period
)

select
    cast(year as integer) as year,
    theme_id,
    theme,
    agency,
    cast(capacity_to_influence as integer) as capacity_to_influence,
    cast(nullif(vulnerability, '') as integer) as vulnerability,
    _file_id,
    _row_number,
from source
