-- Grain: one row per police.uk street-level record (crime or ASB incident), latest file per month only.
-- Placed in a district and 2019 ward through reference.lsoa_placements (2011 and 2021 LSOAs).
with records as (
    select * from staging.stg_police__street_records
),

placements as (
    select * from reference.lsoa_placements
),

placed as (
    select
        records.*,
        placements.lad_code,
        placements.ward_code,
        placements.lsoa_vintage,
        coalesce(placements.method, case when records.lsoa_code is null then 'no_location' else 'unplaced' end) as placement_method,
    from records
    left join placements
        on records.lsoa_code = placements.lsoa_code
)

select * from placed
