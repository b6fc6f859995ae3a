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
        {{ delivery_rank([
            'response_id', 'campaign_member_id', 'response_type', 'responded_at'
        ]) }} as delivery_rank
    from raw_campaign_responses
),

final as (
    select
        *,
        {{ row_status(['response_id']) }} as row_status
    from (
        select
            *,
            coalesce(
                {{ conflicting_values_reason(
                    ['response_id'],
                    ['campaign_member_id', 'response_type', 'responded_at']
                ) }},
                case
                    when response_id is null then 'missing_key'
                    when campaign_member_id is null then 'missing_parent_key'
                    when responded_at is null then 'unparseable_timestamp'
                    when
                        response_type is null or response_type not in ('open', 'click', 'convert')
                        then 'invalid_response_type'
                end,
                {{ implausible_timestamp_reason('responded_at') }}
            ) as quarantine_reason
        from cleaned
    ) as with_reason
)

select * from final
