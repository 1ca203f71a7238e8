-- Grain: one row per recorded drug offence with its Home Office offence group and 2019 ward.
-- The ward comes from reference.lsoa_placements (null where the LSOA is missing or unplaced).
with offences as (
    select * from staging.stg_police__drug_offences
),

placements as (
    select * from reference.lsoa_placements
),

placed as (
    select
        offences.*,
        placements.ward_code,
    from offences
    left join placements
        on offences.lsoa_code = placements.lsoa_code
)

select * from placed
