-- Every delivered row of marketing/campaigns with parsed values and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_campaigns as (
    select * from {{ raw_source('marketing', 'campaigns') }}
),

cleaned as (
    select
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('campaign_name') }} as campaign_name,
        lower({{ clean_text('channel') }}) as channel,
        {{ parse_date('start_date') }} as start_date,
        {{ parse_date('end_date') }} as end_date,
        cast(cost as decimal(18, 2)) as cost_amount,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'campaign_id', 'campaign_name', 'channel', 'start_date', 'end_date', 'cost'
        ]) }} as delivery_hash
    from raw_campaigns
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    coalesce(
        case
            when campaign_id is null then 'missing_key'
            when start_date is null then 'unparseable_timestamp'
            when end_date < start_date then 'end_before_start'
        end,
        {{ implausible_timestamp_reason('start_date', check_load_date=false) }}
    )
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['campaign_id'],
        value_columns=['campaign_name', 'channel', 'start_date', 'end_date', 'cost_amount'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        cost_amount,
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
