-- Every delivered row of marketing/campaign_responses with parsed values and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_campaign_responses as (
    select * from {{ raw_source('marketing', 'campaign_responses') }}
),

cleaned as (
    select
        {{ clean_text('response_id') }} as response_id,
        {{ clean_text('campaign_member_id') }} as campaign_member_id,
        lower({{ clean_text('response_type') }}) as response_type,
        {{ parse_timestamp('responded_at') }} as responded_at,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'response_id', 'campaign_member_id', 'response_type', 'responded_at'
        ]) }} as delivery_hash
    from raw_campaign_responses
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    coalesce(
        case
            when response_id is null then 'missing_key'
            when campaign_member_id is null then 'missing_parent_key'
            when responded_at is null then 'unparseable_timestamp'
            when
                response_type is null or response_type not in ('open', 'click', 'convert')
                then 'invalid_response_type'
        end,
        {{ implausible_timestamp_reason('responded_at') }}
    )
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['response_id'],
        value_columns=['campaign_member_id', 'response_type', 'responded_at'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        response_id,
        campaign_member_id,
        response_type,
        responded_at,
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
