-- Grain: one row per assessment year x theme: the stakeholders' scores averaged over the agencies that scored it.
-- Input of the Strategic Assessment's priority-ranking matrix (capacity to influence, vulnerability).
with scores as (
    select * from staging.stg_council__priority_scores
),

final as (
    select
        year,
        theme_id,
        avg(capacity_to_influence) as capacity_to_influence,
        avg(vulnerability) as vulnerability,
        count(*) as agencies,
        count(vulnerability) as agencies_scoring_vulnerability,
        string_agg(agency, ', ' order by agency) as agency_names,
    from scores
    group by all
)

select * from final
