-- Every delivered row of store/pos_transaction_lines with its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_transaction_lines as (
    select * from {{ raw_source('store', 'pos_transaction_lines') }}
),

cleaned as (
    select
        {{ clean_text('transaction_line_id') }} as transaction_line_id,
        {{ clean_text('transaction_id') }} as transaction_id,
        {{ clean_text('product_id') }} as product_id,
        quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'transaction_line_id', 'transaction_id', 'product_id', 'quantity', 'unit_price'
        ]) }} as delivery_hash
    from raw_transaction_lines
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    {{ line_quarantine_reason('transaction_line_id', 'transaction_id', 'quantity', 'unit_price') }}
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['transaction_line_id'],
        value_columns=['transaction_id', 'product_id', 'quantity', 'unit_price'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        transaction_line_id,
        transaction_id,
        product_id,
        quantity,
        unit_price,
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
