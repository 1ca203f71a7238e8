-- Grain: one row per measure x area x month, long form: the single input of the indicator engine.
-- Months a source did not deliver are absent (gaps), never zero.
with stacked as (
    select 'crimes_by_area_month' as mart, * exclude (district_code) from marts.crimes_by_area_month
    union all by name
    select 'domestic_abuse_by_area_month' as mart, * from marts.domestic_abuse_by_area_month
    union all by name
    select 'drug_offences_by_area_month' as mart, * from marts.drug_offences_by_area_month
    union all by name
    select 'health_by_month' as mart, * from marts.health_by_month
    union all by name
    select 'substance_misuse_by_area_month' as mart, * from marts.substance_misuse_by_area_month
),

unpivoted as (
    unpivot stacked
    on columns(* exclude (mart, area_code, area_type, ward_vintage, month))
    into name measure value value
),

final as (
    select mart, measure, area_type, area_code, ward_vintage, month, cast(value as double) as value,
    from unpivoted
    where value is not null
)

select * from final
