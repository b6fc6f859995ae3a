-- Every delivered row of store/pos_transactions with parsed values and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_transactions as (
    select * from {{ raw_source('store', 'pos_transactions') }}
),

cleaned as (
    select
        {{ clean_text('transaction_id') }} as transaction_id,
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('loyalty_card_id') }} as loyalty_card_id,
        {{ parse_timestamp('transacted_at') }} as transacted_at,
        lower({{ clean_text('transaction_type') }}) as transaction_type,
        cast(total_amount as decimal(18, 2)) as total_amount,
        load_date,
        filename,
        file_row_number,
        {{ delivery_rank([
            'transaction_id', 'store_id', 'loyalty_card_id', 'transacted_at', 'transaction_type',
            'total_amount'
        ]) }} as delivery_rank
    from raw_transactions
),

final as (
    select
        *,
        {{ row_status(['transaction_id']) }} as row_status
    from (
        select
            *,
            coalesce(
                {{ conflicting_values_reason(['transaction_id'], [
                    'store_id', 'loyalty_card_id', 'transacted_at', 'transaction_type', 'total_amount'
                ]) }},
                {{ order_quarantine_reason('transaction_id', 'transacted_at', 'transaction_type', 'total_amount') }},
                {{ implausible_timestamp_reason('transacted_at') }}
            ) as quarantine_reason
        from cleaned
    ) as with_reason
)

select * from final
