{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_retired_customers(ref('int_customers__purchase_days')) }}"
    )
}}
-- One row per customer with orders by the as-of date: order state (first/last order, orders,
-- purchase days, net spend, and the repeat days' sales the BTYD summary needs). Incremental: only
-- customers whose purchase days were re-processed in this run are recomputed, from their purchase
-- days (never from the order history). The state of every buyer is then this table's small rows, so
-- the daily BTYD summary and CLV scores need not aggregate the purchase-day history again.
-- The as-of date is the data end unless var('analytics_as_of_date') fixes it. A later as-of date is
-- caught up (see touched_customers); an earlier one needs --full-refresh, and make build says so.
with

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        refund_count,
        sales_amount,
        net_amount,
        processed_at
    from {{ ref('int_customers__purchase_days') }}
),

-- Without the var, the as-of date is the last purchase day, so every day counts: no filter, which
-- would also keep DuckDB from pruning the purchase-day scan to the touched customers.
{% set as_of_filter -%}
    {% if var('analytics_as_of_date') %}where purchase_days.purchase_date <= {{ analytics_as_of_date(none) }}{% endif %}
{%- endset %}
{% if is_incremental() %}
-- a second, narrow read of the purchase days: one CTE read twice would be materialized whole
day_changes as (
    select
        customer_id,
        purchase_date,
        processed_at
    from {{ ref('int_customers__purchase_days') }}
),

-- Days re-processed since the last run, and days after the stored last order day that the as-of
-- date now covers: an as-of date moved forward brings in days that earlier runs processed but left
-- out. The stored last order day is on or before the previous as-of date, so none is missed.
touched_customers as (
    select distinct customer_id from day_changes
    where
        processed_at > (select max(processed_at) from {{ this }})
        or (
            purchase_date > (select max(last_order_date) from {{ this }})
            {% if var('analytics_as_of_date') %}and purchase_date <= {{ analytics_as_of_date(none) }}{% endif %}
        )
),

touched_days as (
    select purchase_days.*
    from purchase_days
    inner join touched_customers on purchase_days.customer_id = touched_customers.customer_id
    {{ as_of_filter }}
),
{% else %}
    touched_days as (
        select purchase_days.*
        from purchase_days
        {{ as_of_filter }}
    ),
{% endif %}

final as (
    select
        customer_id,
        min(case when order_count > 0 then purchase_date end) as first_order_date,
        max(case when order_count > 0 then purchase_date end) as last_order_date,
        cast(sum(order_count) as bigint) as order_count,
        cast(sum(refund_count) as bigint) as refund_count,
        count(case when order_count > 0 then 1 end) as purchase_day_count,
        -- the purchase days' sales but the first day's (refund-only days have none; min_by, in DuckDB
        -- and Spark alike: exact in decimals, and no window over the days)
        cast(
            coalesce(sum(sales_amount) - min_by(sales_amount, purchase_date) filter (where order_count > 0), 0)
            as decimal(18, 2)
        ) as repeat_sales_amount,
        cast(sum(net_amount) as decimal(18, 2)) as total_net_amount,
        cast(sum(net_amount) / nullif(sum(order_count), 0) as decimal(18, 2)) as average_net_amount_per_order,
        max(processed_at) as processed_at
    from touched_days
    group by customer_id
)

select * from final
