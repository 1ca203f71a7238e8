-- Grain: one row per December 2019 ward (UK) with its district. Latest lookup file only.
-- 2022 wards come from stg_reference__lsoa21_lookups; intermediate.int_areas keeps the one vintage in use.
with latest_file as (
    select max(file_id) as file_id from audit.file_periods where source = 'reference_ward_lad'
)

select
    ward_code,
    ward_name,
    lad_code,
    lad_name,
    '2019' as ward_vintage,
from raw.reference_ward_lad
where _file_id = (select file_id from latest_file)
