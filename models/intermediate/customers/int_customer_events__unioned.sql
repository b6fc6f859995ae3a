-- One row per customer activity across channels, keyed to the source record it was recorded against
-- (orders, app events, sign-ups from int_customer_events__signups, tickets, campaign responses, consent
-- changes), with the load that delivered it; fct_customer_events resolves the customer. A view: the
-- incremental fct_customer_events reads it only for the events a run redoes, and a table would rebuild
-- every event each run.
with

orders as (
    select
        order_id,
        channel,
        source_record_id,
        ordered_at,
        is_refund,
        net_amount,
        load_date
    from {{ ref('fct_orders') }}
),

app_events as (
    select
        event_id,
        app_user_id,
        event_type,
        event_at,
        load_date
    from {{ ref('stg_app__app_events') }}
    where event_type != 'purchase'
),

tickets as (
    select
        ticket_id,
        opened_at,
        is_complaint,
        load_date
    from {{ ref('stg_support__tickets') }}
),

campaign_members as (
    select
        campaign_member_id,
        contact_id,
        load_date
    from {{ ref('stg_marketing__campaign_members') }}
),

campaign_responses as (
    select
        response_id,
        campaign_member_id,
        response_type,
        responded_at,
        load_date
    from {{ ref('stg_marketing__campaign_responses') }}
),

consent_changes as (
    select
        consent_change_id,
        contact_id,
        channel,
        is_granted,
        changed_at,
        load_date
    from {{ ref('stg_privacy__consent_changes') }}
),

signups as (
    select
        event_id,
        source_name,
        source_record_id,
        event_at,
        channel,
        event_type,
        amount,
        load_date
    from {{ ref('int_customer_events__signups') }}
),

final as (
    -- anonymous till sales keep a null source_record_id: no customer is found for them
    select
        'order:' || order_id as event_id,
        channel as source_name,
        source_record_id,
        ordered_at as event_at,
        channel,
        case when is_refund then 'refund' else 'order' end as event_type,
        net_amount as amount,
        load_date
    from orders
    union all
    select
        'app:' || event_id,
        'app',
        app_user_id,
        event_at,
        'app',
        event_type,
        null,
        load_date
    from app_events
    union all
    select
        'support:' || ticket_id,
        'support',
        ticket_id,
        opened_at,
        'support',
        case when is_complaint then 'complaint_opened' else 'ticket_opened' end,
        null,
        load_date
    from tickets
    union all
    -- a response is the member's contact's: a redelivered member moves it, so its load counts too
    select
        'response:' || campaign_responses.response_id,
        'crm',
        campaign_members.contact_id,
        campaign_responses.responded_at,
        'marketing',
        'campaign_' || campaign_responses.response_type,
        null,
        greatest(campaign_responses.load_date, campaign_members.load_date)
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
        null,
        load_date
    from consent_changes
    where contact_id is not null
    union all
    select
        event_id,
        source_name,
        source_record_id,
        event_at,
        channel,
        event_type,
        amount,
        load_date
    from signups
)

select * from final
