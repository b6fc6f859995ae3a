with

pos_transactions as (
    select
        transaction_id,
        store_id,
        loyalty_card_id,
        transacted_at,
        transaction_type,
        total_amount,
        load_date,
        processed_at
    from {{ ref('base_store__pos_transactions') }}
    where row_status = 'staged'
),

final as (
    select
        transaction_id,
        store_id,
        loyalty_card_id,
        transacted_at,
        transaction_type,
        total_amount,
        -- free items, full discounts, replacements: purchases with zero spend (a zero refund is quarantined)
        transaction_type = 'sale' and total_amount = 0 as is_zero_value,
        load_date,
        processed_at
    from pos_transactions
)

select * from final
