-- One row per audience (seeds/audiences.csv) and customer its predicate selects, with the first
-- reason the customer may not be reached on the audience's channel (null: a member) and whether a
-- member is held out. Reasons, in this order: no_consent (for the channel), no_valid_contact (no e-mail
-- or a bounced one, no valid phone, no app, no valid postal address), ignored_last_campaigns. Erased
-- customers are not in audience_attributes, so no predicate selects them.
-- Each predicate is checked by audience_rules before any of it reaches SQL.
{%- set rules = audience_rules(ref('audiences'), 'audience_attributes') %}

with

attributes as (
    select * from {{ ref('audience_attributes') }}
),

audiences as (
    select
        audience_name,
        channel,
        holdout_percent
    from {{ ref('audiences') }}
),

customers as (
    select
        customer_id,
        is_email_bounced,
        is_postal_code_valid,
        app_device_types,
        has_email_consent,
        has_sms_consent,
        has_push_consent,
        has_phone_consent,
        has_direct_mail_consent
    from {{ ref('dim_customers') }}
),

contacts as (
    select
        customer_id,
        email,
        phone,
        street_address,
        postal_code
    from {{ ref('customer_contacts') }}
),

fatigue as (
    select
        customer_id,
        is_campaign_fatigued
    from {{ ref('customer_campaign_fatigue') }}
),

selected as (
    {%- for rule in rules %}
        select
            '{{ rule.audience_name }}' as audience_name,
            customer_id
        from attributes
        where coalesce(({{ rule.predicate }}), false)
        {% if not loop.last %}union all{% endif %}
    {%- else %}
        select
            cast(null as string) as audience_name,
            customer_id
        from attributes
        where false
    {%- endfor %}
),

channel_checks as (
    select
        selected.audience_name,
        selected.customer_id,
        audiences.channel,
        audiences.holdout_percent,
        case audiences.channel
            when 'email' then customers.has_email_consent
            when 'sms' then customers.has_sms_consent
            when 'push' then customers.has_push_consent
            when 'phone' then customers.has_phone_consent
            when 'direct_mail' then customers.has_direct_mail_consent
        end as has_channel_consent,
        coalesce(case audiences.channel
            when 'email' then contacts.email is not null and not customers.is_email_bounced
            when 'sms' then contacts.phone is not null
            when 'phone' then contacts.phone is not null
            when 'push' then customers.app_device_types is not null
            when 'direct_mail' then contacts.street_address is not null and customers.is_postal_code_valid
        end, false) as has_channel_contact,
        coalesce(fatigue.is_campaign_fatigued, false) as is_campaign_fatigued
    from selected
    inner join audiences on selected.audience_name = audiences.audience_name
    inner join customers on selected.customer_id = customers.customer_id
    left join contacts on selected.customer_id = contacts.customer_id
    left join fatigue on selected.customer_id = fatigue.customer_id
),

checked as (
    select
        audience_name,
        customer_id,
        channel,
        holdout_percent,
        case
            when not has_channel_consent then 'no_consent'
            when not has_channel_contact then 'no_valid_contact'
            when is_campaign_fatigued then 'ignored_last_campaigns'
        end as exclusion_reason,
        {{ audience_holdout_bucket('customer_id', 'audience_name') }} as holdout_bucket
    from channel_checks
),

final as (
    select
        audience_name || ':' || customer_id as audience_match_id,
        audience_name,
        customer_id,
        channel,
        exclusion_reason,
        holdout_bucket,
        -- buckets are 0-9999, so a percent maps to hundredths of the bucket range
        exclusion_reason is null and holdout_bucket < holdout_percent * 100 as is_holdout
    from checked
)

select * from final
