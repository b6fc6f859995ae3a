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
        load_date
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
        load_date
    from orders
)

select * from final
