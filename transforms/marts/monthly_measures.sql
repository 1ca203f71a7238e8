-- Grain: one row per measure x area x month, long form: the single input of the indicator engine.
-- Months a source did not deliver are absent (gaps), never zero.
with crimes as (
    unpivot (select * exclude (district_code) from marts.crimes_by_area_month)
    on columns(* exclude (area_code, area_type, month)) into name measure value value
),

domestic_abuse as (
    unpivot marts.domestic_abuse_by_area_month
    on columns(* exclude (area_code, area_type, month)) into name measure value value
),

drugs as (
    unpivot marts.drug_offences_by_area_month
    on columns(* exclude (area_code, area_type, month)) into name measure value value
),

health as (
    unpivot marts.health_by_month
    on columns(* exclude (area_code, area_type, month)) into name measure value value
),

substance_misuse as (
    unpivot marts.substance_misuse_by_area_month
    on columns(* exclude (area_code, area_type, month)) into name measure value value
),

final as (
    select 'crimes_by_area_month' as mart, * from crimes
    union all select 'domestic_abuse_by_area_month', * from domestic_abuse
    union all select 'drug_offences_by_area_month', * from drugs
    union all select 'health_by_month', * from health
    union all select 'substance_misuse_by_area_month', * from substance_misuse
)

select mart, measure, area_type, area_code, month, cast(value as double) as value
from final
where value is not null
