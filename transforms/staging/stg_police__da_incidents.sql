-- Grain: one row per domestic-abuse flagged incident or crime (latest file per month).
-- Victim keys are already pseudonymised; repeat-victim flags are added in intermediate.
with source as (
    select raw_rows.*
    from raw.police_da_incidents as raw_rows
    inner join audit.latest_files('police_da_incidents') as latest
        on raw_rows._file_id = latest.file_id
        and left(raw_rows.incident_date, 7) = latest.period
),

typed as (
    select
        incident_ref,
        cast(incident_date as date) as incident_date,
        date_trunc('month', cast(incident_date as date)) as month,
        victim_key,
        lsoa_code,
        record_type,
        dash_risk,
        outcome,
        victim_ethnic_group,
        victim_ethnic_group in ('mixed', 'asian', 'black', 'other') as is_bme_victim,
        victim_ethnic_group <> 'not_stated' as ethnicity_stated,
        outcome = 'victim_does_not_support_nfa' as is_victim_declined_nfa,
        victim_sex,
        victim_age_band,
        _file_id,
        _row_number,
    from source
)

select * from typed
