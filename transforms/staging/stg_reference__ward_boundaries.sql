-- Grain: one row per ward whose boundary was supplied (2022 wards), polygon as GeoJSON text.
with ranked as (
    select
        ward_code,
        ward_name,
        lad_code,
        geometry,
        row_number() over (partition by ward_code order by _file_id desc) as revision,
    from raw.reference_ward_boundaries
)

select * exclude (revision) from ranked where revision = 1
