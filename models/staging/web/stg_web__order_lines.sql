with

order_lines as (
    select
        order_line_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        load_date,
        processed_at
    from {{ ref('base_web__order_lines') }}
    where row_status = 'staged'
),

final as (
    select
        order_line_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        load_date,
        processed_at
    from order_lines
)

select * from final
