-- Grain: one row per domestic-abuse flagged incident or crime, with repeat-victim flag and 2019 ward.
-- The ward comes from reference.lsoa_placements (null where the LSOA is missing or unplaced).
with incidents as (
    select * from intermediate.int_police__da_incidents_repeats_flagged
),

placements as (
    select * from reference.lsoa_placements
),

placed as (
    select
        incidents.*,
        placements.ward_code,
    from incidents
    left join placements
        on incidents.lsoa_code = placements.lsoa_code
)

select * from placed
