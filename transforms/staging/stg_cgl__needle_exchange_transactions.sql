-- Grain: one row per month x needle-exchange site (latest file per month).
with source as (
    select raw_rows.*
    from raw.cgl_needle_exchange as raw_rows
    inner join audit.latest_files('cgl_needle_exchange') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.month = latest.period
)

select
    cast(month || '-01' as date) as month,
    site_id,
    site_type,
    cast(transactions as integer) as transactions,
    _file_id,
    _row_number,
from source
