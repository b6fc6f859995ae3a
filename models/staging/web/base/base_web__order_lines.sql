-- Every delivered row of web/order_lines with its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_order_lines as (
    select * from {{ raw_source('web', 'order_lines') }}
),

cleaned as (
    select
        {{ clean_text('order_line_id') }} as order_line_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,
        quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'order_line_id', 'order_id', 'product_id', 'quantity', 'unit_price'
        ]) }} as delivery_hash
    from raw_order_lines
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    {{ line_quarantine_reason('order_line_id', 'order_id', 'quantity', 'unit_price') }}
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['order_line_id'],
        value_columns=['order_id', 'product_id', 'quantity', 'unit_price'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        order_line_id,
        order_id,
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
