-- Grain: one row per police.uk street-level record (a crime or an ASB incident), latest file per month only.
-- Typed and tidied; not yet placed in a ward or district (intermediate.int_police__street_crimes_placed).
with source as (
    select raw_rows.*
    from raw.police_street as raw_rows
    inner join audit.latest_files('police_street') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.month = latest.period
),

typed as (
    select
        nullif(crime_id, '') as crime_id,
        cast(month || '-01' as date) as month,
        reported_by,
        falls_within,
        try_cast(longitude as double) as longitude,
        try_cast(latitude as double) as latitude,
        location,
        lsoa_code,
        lsoa_name,
        crime_type,
        last_outcome_category,
        context,
        crime_type = 'Anti-social behaviour' as is_asb,
        _file_id,
        _row_number,
    from source
)

select * from typed
