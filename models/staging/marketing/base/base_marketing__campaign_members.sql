-- Every delivered row of marketing/campaign_members with parsed values and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_campaign_members as (
    select * from {{ raw_source('marketing', 'campaign_members') }}
),

cleaned as (
    select
        {{ clean_text('campaign_member_id') }} as campaign_member_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('contact_id') }} as contact_id,
        lower({{ clean_text('group_name') }}) as group_name,
        {{ parse_timestamp('assigned_at') }} as assigned_at,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'campaign_member_id', 'campaign_id', 'contact_id', 'group_name', 'assigned_at'
        ]) }} as delivery_hash
    from raw_campaign_members
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    coalesce(
        case
            when campaign_member_id is null then 'missing_key'
            when campaign_id is null or contact_id is null then 'missing_parent_key'
            when group_name is null or group_name not in ('target', 'control') then 'invalid_group'
            when assigned_at is null then 'unparseable_timestamp'
        end,
        {{ implausible_timestamp_reason('assigned_at') }}
    )
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['campaign_member_id'],
        value_columns=['campaign_id', 'contact_id', 'group_name', 'assigned_at'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        campaign_member_id,
        campaign_id,
        contact_id,
        group_name,
        assigned_at,
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
