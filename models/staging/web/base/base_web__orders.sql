-- Every delivered row of web/orders with parsed values and its fate in staging.
-- Amounts are converted to the reporting currency with the rate of the order's UTC month: a company that
-- sells in several currencies must not see them summed as one. An order whose currency has no rate for
-- its month is quarantined (unknown_currency_rate) rather than stopping the build: the other orders stay
-- usable, and the quarantine mart and the audit's quarantine thresholds name it.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_orders as (
    select * from {{ raw_source('web', 'orders') }}
),

currency_rates as (
    select
        currency,
        month,
        rate
    from {{ ref('currency_rates_monthly') }}
    where reporting_currency = '{{ reporting_currency() }}'
),

cleaned as (
    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('account_id') }} as account_id,
        {{ parse_timestamp('ordered_at') }} as ordered_at,
        lower({{ clean_text('order_type') }}) as order_type,
        {{ clean_text('refunded_order_id') }} as refunded_order_id,
        cast(total_amount as decimal(18, 2)) as delivered_amount,
        upper({{ clean_text('currency') }}) as currency,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'order_id', 'account_id', 'ordered_at', 'order_type', 'refunded_order_id',
            'total_amount', 'currency'
        ]) }} as delivery_hash
    from raw_orders
),

converted as (
    select
        cleaned.*,
        case
            when cleaned.currency = '{{ reporting_currency() }}' then 1
            else currency_rates.rate
        end as exchange_rate
    from cleaned
    left join currency_rates
        on
            cleaned.currency = currency_rates.currency
            and date_trunc('month', cleaned.ordered_at) = currency_rates.month
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    coalesce(
        {{ order_quarantine_reason('order_id', 'ordered_at', 'order_type', 'delivered_amount') }},
        case when exchange_rate is null then 'unknown_currency_rate' end,
        {{ implausible_timestamp_reason('ordered_at') }}
    )
{%- endset %}

fated as (
    {{ delivery_fates(
        'converted',
        key_columns=['order_id'],
        value_columns=['account_id', 'ordered_at', 'order_type', 'refunded_order_id', 'delivered_amount', 'currency'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        order_id,
        account_id,
        ordered_at,
        order_type,
        refunded_order_id,
        cast(round(delivered_amount * exchange_rate, 2) as decimal(18, 2)) as total_amount,
        currency,
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
