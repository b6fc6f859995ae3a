{{ config(materialized='view') }}
-- One row per customer with a purchase by the as-of date: recency, frequency and monetary value
-- (in the var('rfm_window_days') window and over the lifetime), 1-5 scores (quintiles of the
-- population, or the fixed thresholds of seeds/rfm_score_thresholds.csv with var('rfm_scoring') =
-- 'thresholds'), the RFM cell ('555') and the named segment of seeds/rfm_segments.csv.
-- It is the current month of customer_rfm_history, whose month ends at the as-of date: one
-- computation serves both, and the daily run scans no purchase days for it.
-- A view: it is one month of customer_rfm_history, so storing it again would only add a daily
-- rewrite of every customer's row; reading it filters the history on its newest month.
with

current_month as (
    select
        history.customer_id,
        history.month_end_date as as_of_date,
        history.last_purchase_date,
        history.recency_days,
        history.frequency_window,
        history.frequency_lifetime,
        history.monetary_window,
        history.monetary_lifetime,
        history.recency_score,
        history.frequency_score,
        history.monetary_score,
        history.rfm_segment
    from {{ ref('customer_rfm_history') }} as history
    where
        history.calendar_month_end_date
        = (select max(latest.calendar_month_end_date) from {{ ref('customer_rfm_history') }} as latest)
),

final as (
    select
        *,
        cast(recency_score as string)
        || cast(frequency_score as string)
        || cast(monetary_score as string) as rfm_cell
    from current_month
)

select * from final
