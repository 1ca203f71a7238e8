-- Grain: one row per police.uk crime or ASB incident placed in the configured CSP area ({{ area_code }}).
-- Convenience view for analysts of one partnership; marts cover every area.
select *
from staging.stg_police__street_crimes
where lad_code = '{{ area_code }}'
