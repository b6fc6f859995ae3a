{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ delete_tombstone_rows('lifetime_order_count') }}", "{{ manifest_record_downstream_progress() }}"]
    )
}}
-- depends_on: {{ ref('load_manifest_progress') }}
-- depends_on: {{ ref('customer_identity_snapshot') }}
-- One row per customer with at least one order: first and last purchase overall and per sales channel,
-- lifetime order, refund and net revenue figures, and the channel they buy in most. Refunds count apart
-- and never as a purchase; net revenue sums orders and refunds, so it is what the customer left us.
-- Incremental by customer: a run recomputes the customers the load manifest gives
-- (manifest_touched_customers: orders written since, records moved, or every customer after a withdrawn
-- or redelivered order file), writes those whose row changed, and a tombstone (null
-- lifetime_order_count, deleted by the post-hook) for each of them left without orders.
with

{% if is_incremental() %}
    touched_customers as (
        {{ manifest_touched_customers(ref('fct_orders'), 'orders_processed_through') }}
    ),

    stored_rows as (
        select {{ stored_documented_columns() }}
        from {{ this }}
        where customer_id in (select touched_customers.customer_id from touched_customers)
    ),
{% endif %}

orders as (
    select
        customer_id,
        ordered_at,
        channel,
        net_amount,
        is_refund
    from {{ ref('fct_orders') }}
    -- anonymous till sales have no customer
    where customer_id is not null
),

-- a narrow read of the orders' write times: the newest is this run's mark in the rows it writes
order_writes as (
    select processed_at
    from {{ ref('fct_orders') }}
),

{% if is_incremental() %}
    counted_orders as (
        select * from orders
        where customer_id in (select touched_customers.customer_id from touched_customers)
    ),
{% else %}
    counted_orders as (
        select * from orders
    ),
{% endif %}

order_summary as (
    select
        customer_id,
        min(case when not is_refund then ordered_at end) as first_purchase_at,
        max(case when not is_refund then ordered_at end) as last_purchase_at,
        {% for channel in ['web', 'store', 'app'] %}
            min(case when not is_refund and channel = '{{ channel }}' then ordered_at end)
                as first_{{ channel }}_purchase_at,
            max(case when not is_refund and channel = '{{ channel }}' then ordered_at end)
                as last_{{ channel }}_purchase_at,
            count(case when not is_refund and channel = '{{ channel }}' then 1 end) as {{ channel }}_order_count,
        {% endfor %}
        count(case when not is_refund then 1 end) as lifetime_order_count,
        count(case when is_refund then 1 end) as lifetime_refund_count,
        sum(net_amount) as lifetime_net_revenue
    from counted_orders
    group by customer_id
),

channel_ranks as (
    -- most orders wins; on a tie the channel of the latest order, where the customer buys now
    select
        customer_id,
        channel as preferred_channel,
        row_number() over (partition by customer_id order by count(*) desc, max(ordered_at) desc) as channel_rank
    from counted_orders
    where not is_refund
    group by customer_id, channel
),

preferred_channels as (
    select
        customer_id,
        preferred_channel
    from channel_ranks
    where channel_rank = 1
),

recomputed_rows as (
    select
        order_summary.customer_id,
        preferred_channels.preferred_channel,
        order_summary.first_purchase_at,
        order_summary.last_purchase_at,
        {% for channel in ['web', 'store', 'app'] %}
            order_summary.first_{{ channel }}_purchase_at,
            order_summary.last_{{ channel }}_purchase_at,
            order_summary.{{ channel }}_order_count,
        {% endfor %}
        order_summary.lifetime_order_count,
        order_summary.lifetime_refund_count,
        order_summary.lifetime_net_revenue,
        (select max(order_writes.processed_at) from order_writes) as orders_processed_through
    from order_summary
    -- a customer with only refunds has no preferred channel
    left join preferred_channels on order_summary.customer_id = preferred_channels.customer_id
),

final as (
    {{ recomputed_changes('recomputed_rows', 'stored_rows', 'customer_id') }}
)

select * from final
