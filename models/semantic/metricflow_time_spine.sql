-- One row per day from 2015-01-01 for 10,000 days (to 2042): the time spine MetricFlow needs to answer
-- metrics by day, week or month. Digits cross-joined rather than a generate_series, so it is the
-- same SQL on every engine.
with

digits as (
    select digit_list.digit
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as digit_list (digit)
),

day_numbers as (
    select thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + units.digit as day_number
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units
),

final as (
    select cast({{ dbt.dateadd('day', 'day_number', "cast('2015-01-01' as date)") }} as date) as date_day
    from day_numbers
)

select * from final
