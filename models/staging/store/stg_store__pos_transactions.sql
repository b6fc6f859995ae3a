with

pos_transactions as (
    select
        transaction_id,
        store_id,
        loyalty_card_id,
        transacted_at,
        transaction_type,
        total_amount,
        load_date
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
        load_date
    from pos_transactions
)

select * from final
