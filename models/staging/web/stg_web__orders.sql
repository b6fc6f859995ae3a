with

orders as (
    select
        order_id,
        account_id,
        ordered_at,
        order_type,
        refunded_order_id,
        total_amount,
        currency,
        load_date,
        processed_at
    from {{ ref('base_web__orders') }}
    where row_status = 'staged'
),

final as (
    select
        order_id,
        account_id,
        ordered_at,
        order_type,
        refunded_order_id,
        total_amount,
        currency,
        -- free items, full discounts, replacements: purchases with zero spend (a zero refund is quarantined)
        order_type = 'sale' and total_amount = 0 as is_zero_value,
        load_date,
        processed_at
    from orders
)

select * from final
