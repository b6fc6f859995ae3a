-- Every delivered row of web/orders with parsed values and its fate in staging.
with

raw_orders as (
    select * from {{ raw_source('web', 'orders') }}
),

cleaned as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('account_id') }} as account_id,
        {{ parse_timestamp('ordered_at') }} as ordered_at,
        lower({{ clean_text('order_type') }}) as order_type,
        {{ clean_text('refunded_order_id') }} as refunded_order_id,
        cast(total_amount as decimal(18, 2)) as total_amount,
        upper({{ clean_text('currency') }}) as currency,
        load_date,
        filename,
        {{ delivery_rank([
            'order_id', 'account_id', 'ordered_at', 'order_type', 'refunded_order_id',
            'total_amount', 'currency'
        ]) }} as delivery_rank
    from raw_orders
),

final as (
    select
        *,
        {{ row_status(['order_id']) }} as row_status
    from (
        select
            *,
            coalesce(
                {{ conflicting_values_reason(['order_id'], [
                    'account_id', 'ordered_at', 'order_type', 'refunded_order_id', 'total_amount', 'currency'
                ]) }},
                {{ order_quarantine_reason('order_id', 'ordered_at', 'order_type', 'total_amount') }},
                {{ implausible_timestamp_reason('ordered_at') }}
            ) as quarantine_reason
        from cleaned
    ) as with_reason
)

select * from final
