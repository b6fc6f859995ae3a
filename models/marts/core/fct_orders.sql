-- One row per order or refund across web, store and app, with the resolved customer. Refunds are
-- their own negative rows. Anonymous till sales (no loyalty card scanned) keep a null customer_id:
-- they count for revenue, not for any customer.
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

final as (
    select
        orders.order_id,
        customer_ids.customer_id,
        orders.ordered_at,
        cast(orders.ordered_at as date) as ordered_date,
        orders.channel,
        cast(orders.net_amount as decimal(18, 2)) as net_amount,
        orders.is_refund,
        orders.is_zero_value,
        orders.refunded_order_id,
        orders.source_record_id,
        orders.source_record_id is null as is_anonymous,
        orders.load_date
    from orders
    left join customer_ids
        on
            orders.channel = customer_ids.source_name
            and orders.source_record_id = customer_ids.source_record_id
)

select * from final
