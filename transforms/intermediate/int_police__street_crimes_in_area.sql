-- Grain: one row per police.uk crime or ASB incident placed in the configured CSP area ({{ area_code }}).
-- Convenience view for analysts of one partnership; marts cover every area.
with placed as (
    select * from intermediate.int_police__street_crimes_placed
)

select * from placed
where lad_code = '{{ area_code }}'
