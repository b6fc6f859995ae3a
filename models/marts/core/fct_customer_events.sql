-- One row per customer activity across channels: orders and refunds, app sessions and browsing,
-- record sign-ups, support tickets, campaign responses and consent changes. The timeline marketing
-- reads to see what a customer did, in one place, in UTC.
with

orders as (
    select
        order_id,
        customer_id,
        ordered_at,
        channel,
        is_refund,
        net_amount
    from {{ ref('fct_orders') }}
    where customer_id is not null
),

app_events as (
    select
        event_id,
        app_user_id,
        event_type,
        event_at
    from {{ ref('stg_app__app_events') }}
    where event_type != 'purchase'
),

tickets as (
    select
        ticket_id,
        opened_at,
        is_complaint
    from {{ ref('stg_support__tickets') }}
),

campaign_members as (
    select
        campaign_member_id,
        contact_id
    from {{ ref('stg_marketing__campaign_members') }}
),

campaign_responses as (
    select
        response_id,
        campaign_member_id,
        response_type,
        responded_at
    from {{ ref('stg_marketing__campaign_responses') }}
),

consent_changes as (
    select
        consent_change_id,
        contact_id,
        channel,
        is_granted,
        changed_at
    from {{ ref('stg_privacy__consent_changes') }}
),

source_records as (
    select
        source_name,
        source_record_id,
        record_created_at
    from {{ ref('int_identity__source_records') }}
),

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

source_events as (
    -- events recorded against a source record; the customer is looked up below
    select
        'app:' || event_id as event_id,
        'app' as source_name,
        app_user_id as source_record_id,
        event_at,
        'app' as channel,
        event_type,
        cast(null as decimal(18, 2)) as amount
    from app_events
    union all
    select
        'support:' || ticket_id,
        'support',
        ticket_id,
        opened_at,
        'support',
        case when is_complaint then 'complaint_opened' else 'ticket_opened' end,
        null
    from tickets
    union all
    select
        'response:' || campaign_responses.response_id,
        'crm',
        campaign_members.contact_id,
        campaign_responses.responded_at,
        'marketing',
        'campaign_' || campaign_responses.response_type,
        null
    from campaign_responses
    inner join campaign_members on campaign_responses.campaign_member_id = campaign_members.campaign_member_id
    union all
    select
        'consent:' || consent_change_id,
        'crm',
        contact_id,
        changed_at,
        channel,
        case when is_granted then 'consent_granted' else 'consent_withdrawn' end,
        null
    from consent_changes
    where contact_id is not null
    union all
    select
        'signup:' || source_name || ':' || source_record_id,
        source_name,
        source_record_id,
        record_created_at,
        source_name as signup_channel,
        case source_name
            when 'web' then 'account_created'
            when 'store' then 'loyalty_card_enrolled'
            when 'app' then 'app_installed'
            when 'crm' then 'crm_contact_created'
        end,
        null
    from source_records
    where source_name != 'support'
),

final as (
    select
        'order:' || order_id as event_id,
        customer_id,
        ordered_at as event_at,
        channel,
        case when is_refund then 'refund' else 'order' end as event_type,
        net_amount as amount
    from orders
    union all
    select
        source_events.event_id,
        customer_ids.customer_id,
        source_events.event_at,
        source_events.channel,
        source_events.event_type,
        source_events.amount
    from source_events
    inner join customer_ids
        on
            source_events.source_name = customer_ids.source_name
            and source_events.source_record_id = customer_ids.source_record_id
)

select * from final
