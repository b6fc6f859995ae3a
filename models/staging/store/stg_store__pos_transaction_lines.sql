with

pos_transaction_lines as (
    select
        transaction_line_id,
        transaction_id,
        product_id,
        quantity,
        unit_price,
        load_date,
        processed_at
    from {{ ref('base_store__pos_transaction_lines') }}
    where row_status = 'staged'
),

final as (
    select
        transaction_line_id,
        transaction_id,
        product_id,
        quantity,
        unit_price,
        load_date,
        processed_at
    from pos_transaction_lines
)

select * from final
