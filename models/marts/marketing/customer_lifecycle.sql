{{ config(materialized='view') }}
-- One row per customer with their lifecycle stage at the as-of date, from the days since their
-- first, last and previous purchase (thresholds are vars, in days):
--   prospect     known customer without a purchase yet;
--   new          first purchase at most lifecycle_new_days ago;
--   reactivated  bought in the last lifecycle_active_days after a gap longer than lifecycle_lapsed_days;
--   active       bought in the last lifecycle_active_days;
--   at_risk      last purchase lifecycle_active_days to lifecycle_at_risk_days ago;
--   lapsed       last purchase lifecycle_at_risk_days to lifecycle_lapsed_days ago;
--   churned      last purchase more than lifecycle_lapsed_days ago.
-- The stages of buyers are the current month of customer_rfm_history (macro lifecycle_stage), whose
-- month ends at the as-of date: one computation serves both, and the daily run scans no purchase days.
-- A view: it is one month of customer_rfm_history, so storing it again would only add a daily
-- rewrite of every customer's row; reading it filters the history on its newest month.
with

customers as (
    select customer_id from {{ ref('dim_customers') }}
),

current_month as (
    select
        history.customer_id,
        history.month_end_date as as_of_date,
        history.first_purchase_date,
        history.last_purchase_date,
        history.previous_purchase_date,
        history.lifecycle_stage
    from {{ ref('customer_rfm_history') }} as history
    where
        history.calendar_month_end_date
        = (select max(latest.calendar_month_end_date) from {{ ref('customer_rfm_history') }} as latest)
),

as_of as (
    select max(as_of_date) as as_of_date from current_month
),

final as (
    select
        customers.customer_id,
        as_of.as_of_date,
        current_month.first_purchase_date,
        current_month.last_purchase_date,
        current_month.previous_purchase_date,
        {{ days_between('current_month.last_purchase_date', 'as_of.as_of_date') }} as days_since_last,
        coalesce(current_month.lifecycle_stage, 'prospect') as lifecycle_stage
    from customers
    cross join as_of
    left join current_month on customers.customer_id = current_month.customer_id
)

select * from final
