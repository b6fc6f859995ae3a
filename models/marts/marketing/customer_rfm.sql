-- One row per customer with a purchase by the as-of date: recency, frequency and monetary value
-- (in the var('rfm_window_days') window and over the lifetime), 1-5 scores (quintiles of the
-- population, or the fixed thresholds of seeds/rfm_score_thresholds.csv with var('rfm_scoring') =
-- 'thresholds'), the RFM cell ('555') and the named segment of seeds/rfm_segments.csv.
-- It is the current month of customer_rfm_history, whose month ends at the as-of date: one
-- computation serves both, and the daily run scans no purchase days for it.
with

history as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        last_purchase_date,
        recency_days,
        frequency_window,
        frequency_lifetime,
        monetary_window,
        monetary_lifetime,
        recency_score,
        frequency_score,
        monetary_score,
        rfm_segment
    from {{ ref('customer_rfm_history') }}
),

current_month_end as (
    select max(calendar_month_end_date) as calendar_month_end_date from history
),

current_month as (
    select
        customer_id,
        month_end_date as as_of_date,
        last_purchase_date,
        recency_days,
        frequency_window,
        frequency_lifetime,
        monetary_window,
        monetary_lifetime,
        recency_score,
        frequency_score,
        monetary_score,
        rfm_segment
    from history
    where calendar_month_end_date = (select current_month_end.calendar_month_end_date from current_month_end)
),

final as (
    select
        *,
        cast(recency_score as varchar)
        || cast(frequency_score as varchar)
        || cast(monetary_score as varchar) as rfm_cell
    from current_month
)

select * from final
