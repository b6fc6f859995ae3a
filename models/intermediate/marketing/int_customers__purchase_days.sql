{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_retired_customers() }}",
        post_hook=["{{ delete_tombstone_rows('purchase_date') }}", "{{ manifest_record_downstream_progress() }}"]
    )
}}
-- depends_on: {{ ref('bridge_customer_identity') }}
-- depends_on: {{ ref('load_manifest_progress') }}
-- depends_on: {{ ref('customer_identity_snapshot') }}
-- One row per customer and UTC day with orders: the per-day state every marketing model reads
-- instead of the order history. Incremental by customer: a run re-processes the customers of the
-- orders fct_orders wrote since its last run (new, late, changed, or moved to another customer) and
-- those whose records moved since (identity snapshot); ids merged away are deleted by the pre-hook.
-- An order file it processed that was withdrawn or redelivered since (load manifest) re-processes
-- every customer: the orders that vanished with it leave no trace of their customer. Of those, only
-- the customers whose days changed are written, and processed_at stays the time a day's content last
-- changed; a customer left without days gets a tombstone (null purchase_date), deleted by the
-- post-hook. So an incremental run equals a full refresh while scanning only the touched customers'
-- orders.
with

orders as (
    select
        customer_id,
        ordered_at,
        channel,
        net_amount,
        is_refund,
        load_date
    from {{ ref('fct_orders') }}
    where customer_id is not null
),

-- a narrow read of the orders' write times: the newest is this run's mark in the rows it writes
order_writes as (
    select processed_at
    from {{ ref('fct_orders') }}
),

{% if is_incremental() %}
-- customers of orders written since the last run, whose records moved, or every one after a withdrawn
-- or redelivered order file (load manifest)
touched_customers as (
    {{ manifest_touched_customers(ref('fct_orders'), 'orders_processed_through') }}
),

touched_orders as (
    select
        orders.customer_id,
        orders.ordered_at,
        orders.channel,
        orders.net_amount,
        orders.is_refund,
        orders.load_date
    from orders
    inner join touched_customers on orders.customer_id = touched_customers.customer_id
),
{% else %}
    touched_orders as (
        select
            customer_id,
            ordered_at,
            channel,
            net_amount,
            is_refund,
            load_date
        from orders
    ),
{% endif %}

daily as (
    select
        customer_id,
        cast(ordered_at as date) as purchase_date,
        count(case when not is_refund then 1 end) as order_count,
        count(case when is_refund then 1 end) as refund_count,
        {% for channel in ['web', 'store', 'app'] %}
            count(case when not is_refund and channel = '{{ channel }}' then 1 end) as {{ channel }}_order_count,
        {% endfor %}
        cast(coalesce(sum(case when not is_refund then net_amount end), 0) as decimal(18, 2)) as sales_amount,
        cast(sum(net_amount) as decimal(18, 2)) as net_amount,
        max(load_date) as loaded_date
    from touched_orders
    group by customer_id, cast(ordered_at as date)
),

{% set day_columns = [
    'customer_id', 'purchase_date', 'order_count', 'refund_count', 'web_order_count', 'store_order_count',
    'app_order_count', 'sales_amount', 'net_amount', 'loaded_date'
] %}
{% if is_incremental() %}
stored_days as (
    select
        {{ day_columns | join(',\n        ') }},
        processed_at
    from {{ this }}
    where customer_id in (select touched_customers.customer_id from touched_customers)
),

compared_days as (
    select
        coalesce(daily.customer_id, stored_days.customer_id) as customer_id,
        daily.purchase_date,
        coalesce(daily.purchase_date, stored_days.purchase_date) as compared_date,
        daily.customer_id is null as is_vanished,
        stored_days.customer_id is null
        {%- for column in day_columns[2:] %}
        or daily.{{ column }} is distinct from stored_days.{{ column }}
        {%- endfor %} as is_changed,
        stored_days.processed_at as stored_processed_at
    from daily
    full outer join stored_days
        on
            daily.customer_id = stored_days.customer_id
            and daily.purchase_date = stored_days.purchase_date
),

changed_customers as (
    -- touched customers with a new, changed or vanished day: only they are written again, so the
    -- lookback's re-read of loads already processed rewrites nothing
    select
        customer_id,
        bool_or(is_vanished) as has_vanished_day,
        min(compared_date) as first_changed_date
    from compared_days
    where is_vanished or is_changed
    group by customer_id
),
{% endif %}

written_days as (
    select
        {% for column in day_columns %}
            daily.{{ column }},
        {% endfor %}
        {% if is_incremental() %}
            -- a day keeps the time its content last changed, so that customer_rfm_history reopens only
            -- the months of changed days; all days of a customer with a vanished day count as changed
            case
                when compared_days.is_changed or changed_customers.has_vanished_day then {{ utc_now() }}
                else compared_days.stored_processed_at
            end as processed_at,
        {% else %}
            {{ utc_now() }} as processed_at,
        {% endif %}
        -- the newest order write this run saw: the next run redoes the customers of orders written after it
        (select max(order_writes.processed_at) from order_writes) as orders_processed_through,
        {% if is_incremental() %}
            -- the customer's earliest day this run changed, vanished ones included: a vanished first day
            -- leaves monthly rows before the days that are left, which the monthly models reopen from it
            changed_customers.first_changed_date as changed_from_date
        {% else %}
            cast(null as date) as changed_from_date
        {% endif %}
    from daily
    {% if is_incremental() %}
        inner join changed_customers on daily.customer_id = changed_customers.customer_id
        inner join compared_days
            on
                daily.customer_id = compared_days.customer_id
                and daily.purchase_date = compared_days.purchase_date
    {% endif %}
),

{% if is_incremental() %}
-- a tombstone for each customer left without days: delete+insert then deletes its stored ones
tombstones as (
    select
        changed_customers.customer_id,
        {% for column in day_columns[1:] %}
            null as {{ column }},
        {% endfor %}
        {{ utc_now() }} as processed_at,
        cast(null as timestamp) as orders_processed_through,
        changed_customers.first_changed_date as changed_from_date
    from changed_customers
    where not exists (select 1 from daily where daily.customer_id = changed_customers.customer_id)
),
{% endif %}

final as (
    select * from written_days
    {% if is_incremental() %}
        union all
        select * from tombstones
    {% endif %}
)

select * from final
