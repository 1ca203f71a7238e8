-- Grain: one row per source x month for which a file is loaded (latest revision).
-- Months without a file are gaps in every series, never zeros.
select distinct
    source,
    cast(period || '-01' as date) as month,
from audit.file_periods
where length(period) = 7
