-- Grain: one row per district code (since 2011) with county, region and whether it is current.
with latest_file as (
    select max(file_id) as file_id from audit.file_periods where source = 'reference_lad'
)

select
    lad_code,
    lad_name,
    lad_code_active,
    utla_code as county_code,
    utla_name as county_name,
    region_code,
    region_name,
    current = 'TRUE' as is_current,
from raw.reference_lad
where _file_id = (select file_id from latest_file)
