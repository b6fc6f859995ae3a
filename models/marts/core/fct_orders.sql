{#- on_schema_change: a warehouse built before processed_at gains it as nulls on its stored rows (they
    were key-tested whole when they were written), rather than failing -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ delete_tombstone_rows('channel') }}", "{{ manifest_record_downstream_progress() }}"]
    )
}}
-- depends_on: {{ ref('load_manifest_progress') }}
-- depends_on: {{ ref('customer_identity_snapshot') }}
-- One row per order or refund across web, store and app, with the resolved customer. Refunds are
-- their own negative rows. Anonymous till sales (no loyalty card scanned) keep a null customer_id:
-- they count for revenue, not for any customer.
-- Incremental by order, as fct_customer_events is by event: a run redoes the orders of loads whose files
-- changed since its last run (load manifest) and of records whose customer changed since (identity
-- snapshot), and writes those that differ from the stored ones, and a tombstone (null channel, deleted by
-- the post-hook) for each stored one that is gone. So it equals a full refresh and writes about a day's orders.
{% set order_columns = [
    'customer_id', 'ordered_at', 'ordered_date', 'channel', 'net_amount', 'is_refund', 'is_zero_value',
    'refunded_order_id', 'source_record_id', 'is_anonymous', 'load_date'
] %}
{% if is_incremental() %}
    {% set changed_dates = manifest_changed_load_date_list() %}
    {% set reloaded_dates = manifest_changed_load_date_list(processed_before=true) %}
{% endif %}
with

web_orders as (
    select
        order_id,
        account_id,
        ordered_at,
        order_type,
        refunded_order_id,
        total_amount,
        is_zero_value,
        load_date
    from {{ ref('stg_web__orders') }}
),

store_transactions as (
    select
        transaction_id,
        loyalty_card_id,
        transacted_at,
        transaction_type,
        total_amount,
        is_zero_value,
        load_date
    from {{ ref('stg_store__pos_transactions') }}
),

app_purchases as (
    select
        order_id,
        app_user_id,
        event_at,
        amount,
        load_date
    from {{ ref('stg_app__app_events') }}
    where event_type = 'purchase'
),

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

orders as (
    select
        order_id,
        'web' as channel,
        account_id as source_record_id,
        ordered_at,
        order_type = 'refund' as is_refund,
        refunded_order_id,
        total_amount as net_amount,
        is_zero_value,
        load_date
    from web_orders
    union all
    select
        transaction_id,
        'store',
        loyalty_card_id,
        transacted_at,
        transaction_type = 'refund',
        null,
        total_amount,
        is_zero_value,
        load_date
    from store_transactions
    union all
    select
        order_id,
        'app',
        app_user_id,
        event_at,
        amount < 0,
        null,
        amount,
        -- app purchases carry no type: a negative amount is a refund, zero a zero-value purchase
        amount = 0,
        load_date
    from app_purchases
),

{% if is_incremental() %}
{% if reloaded_dates %}
-- stored from a load with a file redelivered, removed or added since: the order may be gone, or older now
reloaded_orders as (
    select order_id
    from {{ this }}
    where load_date in {{ sql_in_list(reloaded_dates) }}
),
{% endif %}

moved_records as (
    {{ manifest_moved_records() }}
),

last_run as (
    select max({{ stored_column('processed_at', 'timestamp') }}) as processed_at
    from {{ this }}
),

-- one read of the orders, filtered by every reason to redo one: the three staging views are small
-- enough for that, and a CTE read twice would be materialized whole
redone_orders as (
    select *
    from orders
    where
        load_date in {{ sql_in_list(changed_dates) }}
        {%- if reloaded_dates %}
            or order_id in (select reloaded_orders.order_id from reloaded_orders)
        {%- endif %}
        or exists (
            select 1 from moved_records
            where
                orders.channel = moved_records.source_name
                and orders.source_record_id = moved_records.source_record_id
        )
),
{% else %}
    redone_orders as (
        select * from orders
    ),
{% endif %}

resolved_orders as (
    select
        redone_orders.order_id,
        customer_ids.customer_id,
        redone_orders.ordered_at,
        cast(redone_orders.ordered_at as date) as ordered_date,
        redone_orders.channel,
        cast(redone_orders.net_amount as decimal(18, 2)) as net_amount,
        redone_orders.is_refund,
        redone_orders.is_zero_value,
        redone_orders.refunded_order_id,
        redone_orders.source_record_id,
        redone_orders.source_record_id is null as is_anonymous,
        redone_orders.load_date
    from redone_orders
    left join customer_ids
        on
            redone_orders.channel = customer_ids.source_name
            and redone_orders.source_record_id = customer_ids.source_record_id
),

{% if is_incremental() %}
-- the stored orders a redone one may replace, and those of loads that changed (perhaps gone since)
replaced_orders as (
    select
        order_id,
        {{ order_columns | join(',\n        ') }}
    from {{ this }}
    where
        order_id in (select resolved_orders.order_id from resolved_orders)
        {%- if reloaded_dates %}
            or load_date in {{ sql_in_list(reloaded_dates) }}
        {%- endif %}
),
{% endif %}

rows_written as (
    {% if is_incremental() %}
        {{ changed_rows('resolved_orders', 'replaced_orders', 'order_id', order_columns) }}
    {% else %}
        select
            order_id,
            {{ order_columns | join(',\n            ') }}
        from resolved_orders
    {% endif %}
),

-- processed_at: the key tests group only the keys of the last run's rows (macros/utils/stamped_rows.sql)
final as (
    {{ stamped_rows('rows_written', 'last_run') }}
)

select * from final
