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
        {{ delivery_hash([
            'transaction_id', 'store_id', 'loyalty_card_id', 'transacted_at', 'transaction_type',
            'total_amount'
        ]) }} as delivery_hash
    from raw_transactions
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    coalesce(
        {{ order_quarantine_reason('transaction_id', 'transacted_at', 'transaction_type', 'total_amount') }},
        {{ implausible_timestamp_reason('transacted_at') }}
    )
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['transaction_id'],
        value_columns=['store_id', 'loyalty_card_id', 'transacted_at', 'transaction_type', 'total_amount'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        transaction_id,
        store_id,
        loyalty_card_id,
        transacted_at,
        transaction_type,
        total_amount,
        load_date,
        filename,
        file_row_number,
        delivery_rank,
        quarantine_reason,
        row_status
    from fated
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
