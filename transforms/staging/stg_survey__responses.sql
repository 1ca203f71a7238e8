-- Grain: one row per respondent per survey wave (latest file per wave). Answers on 1-5 scales.
with source as (
    select raw_rows.*
    from raw.survey_responses as raw_rows
    inner join audit.latest_files('survey_responses') as latest
        on raw_rows._file_id = latest.file_id
        and raw_rows.wave = latest.period
)

select
    cast(wave as integer) as wave,
    respondent_id,
    ward_code,
    age_band,
    sex,
    ethnic_group,
    disability,
    economic_status,
    tenure,
    cast(q_safe_home as integer) as q_safe_home,
    cast(q_safe_day as integer) as q_safe_day,
    cast(q_safe_night as integer) as q_safe_night,
    cast(q_worry_burglary as integer) as q_worry_burglary,
    cast(q_worry_assault as integer) as q_worry_assault,
    cast(q_worry_car_theft as integer) as q_worry_car_theft,
    cast(q_worry_fraud as integer) as q_worry_fraud,
    cast(q_worry_pestered as integer) as q_worry_pestered,
    _file_id,
    _row_number,
from source
