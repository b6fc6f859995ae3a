-- One row per customer with a customer_rfm_history row and as-of date of int_customers__churn_as_of_dates:
-- the churn features the purchase history gives as of the month end before the as-of date (RFM,
-- lifecycle stage, spend trend, channel mix). The history's lifetime counts at the month end are every
-- order before the as-of date.
with

history as (
    select
        customer_id,
        calendar_month_end_date,
        recency_days,
        frequency_window,
        frequency_lifetime,
        monetary_window,
        monetary_lifetime,
        web_orders_lifetime,
        store_orders_lifetime,
        app_orders_lifetime,
        recency_score,
        frequency_score,
        monetary_score,
        lifecycle_stage
    from {{ ref('customer_rfm_history') }}
),

as_of_dates as (
    select
        calendar_month_end_date,
        as_of_date
    from {{ ref('int_customers__churn_as_of_dates') }}
),

history_with_trend as (
    select
        customer_id,
        calendar_month_end_date,
        recency_days,
        frequency_window,
        frequency_lifetime,
        monetary_window,
        monetary_lifetime,
        web_orders_lifetime,
        store_orders_lifetime,
        app_orders_lifetime,
        recency_score,
        frequency_score,
        monetary_score,
        lifecycle_stage,
        -- the channel shares' denominator is orders, whatever unit var('rfm_frequency_unit') gives
        -- frequency_lifetime
        web_orders_lifetime + store_orders_lifetime + app_orders_lifetime as orders_lifetime,
        -- a customer has a history row every month from their first purchase on
        monetary_window - coalesce(lag(monetary_window, 3) over (
            partition by customer_id order by calendar_month_end_date
        ), 0) as monetary_window_change_3m
    from history
),

final as (
    select
        history_with_trend.customer_id,
        as_of_dates.as_of_date,
        -- recency at the month end, one day before the as-of date
        history_with_trend.recency_days + 1 as recency_days,
        history_with_trend.frequency_window,
        history_with_trend.frequency_lifetime,
        history_with_trend.monetary_window,
        history_with_trend.monetary_lifetime,
        history_with_trend.recency_score,
        history_with_trend.frequency_score,
        history_with_trend.monetary_score,
        history_with_trend.lifecycle_stage,
        -- a difference of two DECIMAL(18, 2) widens to (19, 2): money stays DECIMAL(18, 2)
        cast(history_with_trend.monetary_window_change_3m as decimal(18, 2)) as monetary_window_change_3m,
        coalesce(
            cast(history_with_trend.web_orders_lifetime as double) / nullif(history_with_trend.orders_lifetime, 0), 0
        ) as web_order_share,
        coalesce(
            cast(history_with_trend.store_orders_lifetime as double) / nullif(history_with_trend.orders_lifetime, 0), 0
        ) as store_order_share,
        coalesce(
            cast(history_with_trend.app_orders_lifetime as double) / nullif(history_with_trend.orders_lifetime, 0), 0
        ) as app_order_share
    from history_with_trend
    inner join as_of_dates on history_with_trend.calendar_month_end_date = as_of_dates.calendar_month_end_date
)

select * from final
