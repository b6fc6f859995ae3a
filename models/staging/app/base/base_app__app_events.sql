-- Every delivered row of app/app_events with parsed values and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_app_events as (
    select * from {{ raw_source('app', 'app_events') }}
),

cleaned as (
    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('app_user_id') }} as app_user_id,
        lower({{ clean_text('event_type') }}) as event_type,
        {{ parse_timestamp('event_at') }} as event_at,
        {{ clean_text('order_id') }} as order_id,
        cast(amount as decimal(18, 2)) as amount,
        {{ clean_text('product_id') }} as product_id,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'event_id', 'app_user_id', 'event_type', 'event_at', 'order_id', 'amount', 'product_id'
        ]) }} as delivery_hash
    from raw_app_events
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    coalesce(
        case
            when event_id is null then 'missing_key'
            when app_user_id is null then 'missing_parent_key'
            when event_at is null then 'unparseable_timestamp'
            when event_type is null or event_type not in ('app_open', 'product_view', 'add_to_cart', 'purchase')
                then 'invalid_event_type'
            when event_type = 'purchase' and (order_id is null or amount is null) then 'purchase_without_order'
        end,
        {{ implausible_timestamp_reason('event_at') }}
    )
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['event_id'],
        value_columns=['app_user_id', 'event_type', 'event_at', 'order_id', 'amount', 'product_id'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        event_id,
        app_user_id,
        event_type,
        event_at,
        order_id,
        amount,
        product_id,
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
