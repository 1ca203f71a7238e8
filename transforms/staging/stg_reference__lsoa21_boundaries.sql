-- Grain: one row per 2021 LSOA whose boundary was supplied (one district per file), with its centroid.
with latest_files as (
    select file_id from audit.file_periods where source = 'reference_lsoa21_boundaries'
),

ranked as (
    select
        lsoa21_code as lsoa_code,
        lsoa21_name as lsoa_name,
        lad_code,
        cast(centroid_lon as double) as centroid_lon,
        cast(centroid_lat as double) as centroid_lat,
        row_number() over (partition by lsoa21_code order by _file_id desc) as revision,
    from raw.reference_lsoa21_boundaries
    where _file_id in (select file_id from latest_files)
)

select * exclude (revision) from ranked where revision = 1
