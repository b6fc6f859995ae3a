{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_retired_customers() }}"
    )
}}
-- depends_on: {{ ref('bridge_customer_identity') }}
-- One row per customer with orders: lifetime order state (first/last order, orders, purchase days,
-- net spend). Incremental: only customers whose purchase days were re-processed in this run are
-- recomputed, from their purchase days (never from the order history).
with

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        refund_count,
        net_amount,
        processed_at
    from {{ ref('customer_purchase_days') }}
),

{% if is_incremental() %}
-- a second, narrow read of the purchase days: one CTE read twice would be materialized whole
day_changes as (
    select
        customer_id,
        processed_at
    from {{ ref('customer_purchase_days') }}
),

touched_customers as (
    select distinct customer_id from day_changes
    where processed_at > (select max(processed_at) from {{ this }})
),

touched_days as (
    select purchase_days.*
    from purchase_days
    inner join touched_customers on purchase_days.customer_id = touched_customers.customer_id
),
{% else %}
    touched_days as (
        select * from purchase_days
    ),
{% endif %}

final as (
    select
        customer_id,
        min(case when order_count > 0 then purchase_date end) as first_order_date,
        max(case when order_count > 0 then purchase_date end) as last_order_date,
        sum(order_count) as order_count,
        sum(refund_count) as refund_count,
        count(case when order_count > 0 then 1 end) as purchase_day_count,
        cast(sum(net_amount) as decimal(18, 2)) as total_net_amount,
        cast(sum(net_amount) / nullif(sum(order_count), 0) as decimal(18, 2)) as average_net_amount_per_order,
        max(processed_at) as processed_at
    from touched_days
    group by customer_id
)

select * from final
