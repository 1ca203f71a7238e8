-- Grain: one row per 2011 LSOA whose boundary was supplied, polygon as GeoJSON text.
with ranked as (
    select
        lsoa11_code as lsoa_code,
        lsoa11_name as lsoa_name,
        geometry,
        row_number() over (partition by lsoa11_code order by _file_id desc) as revision,
    from raw.reference_lsoa11_boundaries
)

select * exclude (revision) from ranked where revision = 1
