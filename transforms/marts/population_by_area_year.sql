-- Grain: one row per area x mid-year: total and adult (16+) population, for rates per 1,000.
select
    area_code,
    area_type,
    year,
    sum(population) as population,
    sum(population) filter (where age_band <> '0-15') as population_16_plus,
from staging.stg_reference__populations
group by all
