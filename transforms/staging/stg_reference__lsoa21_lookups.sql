-- Grain: one row per 2021 LSOA (England and Wales) with its 2022 ward and district (ONS LSOA21_WD22_LAD22).
-- Latest lookup file only; empty when the lookup was not delivered.
with latest_file as (
    select max(file_id) as file_id from audit.file_periods where source = 'reference_lsoa21_ward_lad'
),

final as (
    select
        lsoa21_code as lsoa_code,
        lsoa21_name as lsoa_name,
        ward_code,
        ward_name,
        lad_code,
        lad_name,
    from raw.reference_lsoa21_ward_lad
    where _file_id = (select file_id from latest_file)
)

select * from final
