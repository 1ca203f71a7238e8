-- Grain: one row per 2011 LSOA (England and Wales) with its best-fit 2019 ward and district.
-- Latest lookup file only.
with latest_file as (
    select max(file_id) as file_id from audit.file_periods where source = 'reference_lsoa11_ward_lad'
),

final as (
    select
        lsoa11_code as lsoa_code,
        lsoa11_name as lsoa_name,
        ward_code,
        ward_name,
        lad_code,
        lad_name,
    from raw.reference_lsoa11_ward_lad
    where _file_id = (select file_id from latest_file)
)

select * from final
