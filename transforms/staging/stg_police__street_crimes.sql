-- Grain: one row per police.uk street-level crime or ASB incident, latest file per month only.
-- Typed, with district and ward placed through reference.lsoa_placements (2011 and 2021 LSOAs).
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
),

final as (
    select
        typed.*,
        placements.lad_code,
        placements.ward_code,
        placements.lsoa_vintage,
        coalesce(placements.method, case when typed.lsoa_code is null then 'no_location' else 'unplaced' end) as placement_method,
    from typed
    left join reference.lsoa_placements as placements
        on typed.lsoa_code = placements.lsoa_code
)

select * from final
