-- Grain: one row per A&E attendance with a community-safety flag, with the 2019 ward of residence.
-- The ward comes from reference.lsoa_placements (null where the LSOA is missing or unplaced).
with attendances as (
    select * from staging.stg_health__ae_attendances
),

placements as (
    select * from reference.lsoa_placements
),

placed as (
    select
        attendances.*,
        placements.ward_code,
    from attendances
    left join placements
        on attendances.lsoa_code = placements.lsoa_code
)

select * from placed
