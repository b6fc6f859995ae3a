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
        {{ delivery_rank([
            'order_line_id', 'order_id', 'product_id', 'quantity', 'unit_price'
        ]) }} as delivery_rank
    from raw_order_lines
),

final as (
    select
        *,
        {{ row_status(['order_line_id']) }} as row_status
    from (
        select
            *,
            coalesce(
                {{ conflicting_values_reason(
                    ['order_line_id'],
                    ['order_id', 'product_id', 'quantity', 'unit_price']
                ) }},
                {{ line_quarantine_reason('order_line_id', 'order_id', 'quantity', 'unit_price') }}
            ) as quarantine_reason
        from cleaned
    ) as with_reason
)

select * from final
