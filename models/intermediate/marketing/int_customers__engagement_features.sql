-- One row per customer and as-of date of int_customers__churn_as_of_dates with any engagement before it:
-- app events and campaign responses (fct_customer_events), complaints and CSAT (support tickets) and
-- e-mail bounces (CRM contacts), each counted only from data before the as-of date.
with

customer_events as (
    select
        customer_id,
        event_at,
        event_type
    from {{ ref('fct_customer_events') }}
    where
        customer_id is not null
        and event_type in (
            'app_open', 'product_view', 'add_to_cart', 'campaign_open', 'campaign_click', 'campaign_convert',
            'ticket_opened', 'complaint_opened'
        )
),

tickets as (
    select
        ticket_id,
        opened_at,
        csat_score
    from {{ ref('stg_support__tickets') }}
    where csat_score is not null
),

crm_contacts as (
    select
        contact_id,
        email_bounced_at,
        updated_at
    from {{ ref('stg_crm__contacts') }}
    where email_bounced_at is not null
),

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('bridge_customer_identity') }}
),

as_of_dates as (
    select as_of_date
    from {{ ref('int_customers__churn_as_of_dates') }}
),

recent_activity as (
    select
        customer_events.customer_id,
        as_of_dates.as_of_date,
        count(
            case
                when
                    customer_events.event_type in ('app_open', 'product_view', 'add_to_cart')
                    and customer_events.event_at >= as_of_dates.as_of_date - interval '30 days'
                    then 1
            end
        ) as app_events_30d,
        count(case when customer_events.event_type like 'campaign_%' then 1 end) as campaign_responses_90d,
        count(case when customer_events.event_type = 'complaint_opened' then 1 end) as complaints_90d
    from as_of_dates
    inner join customer_events
        on
            as_of_dates.as_of_date > customer_events.event_at
            and customer_events.event_at >= as_of_dates.as_of_date - interval '90 days'
    group by customer_events.customer_id, as_of_dates.as_of_date
),

csat_before as (
    select
        customer_ids.customer_id,
        as_of_dates.as_of_date,
        avg(tickets.csat_score) as average_csat_before
    from as_of_dates
    inner join tickets on as_of_dates.as_of_date > tickets.opened_at
    inner join
        customer_ids
        on customer_ids.source_name = 'support' and tickets.ticket_id = customer_ids.source_record_id
    group by customer_ids.customer_id, as_of_dates.as_of_date
),

bounces_before as (
    select distinct
        customer_ids.customer_id,
        as_of_dates.as_of_date
    from as_of_dates
    -- known before the as-of date: the bounce and the record version that reported it
    inner join crm_contacts
        on
            as_of_dates.as_of_date > crm_contacts.email_bounced_at
            and as_of_dates.as_of_date > crm_contacts.updated_at
    inner join
        customer_ids
        on customer_ids.source_name = 'crm' and crm_contacts.contact_id = customer_ids.source_record_id
),

engaged_customer_dates as (
    select
        customer_id,
        as_of_date
    from recent_activity
    union
    select
        customer_id,
        as_of_date
    from csat_before
    union
    select
        customer_id,
        as_of_date
    from bounces_before
),

final as (
    select
        engaged_customer_dates.customer_id,
        engaged_customer_dates.as_of_date,
        coalesce(recent_activity.app_events_30d, 0) as app_events_30d,
        coalesce(recent_activity.campaign_responses_90d, 0) as campaign_responses_90d,
        coalesce(recent_activity.complaints_90d, 0) as complaints_90d,
        csat_before.average_csat_before,
        bounces_before.customer_id is not null as has_bounced_email_before
    from engaged_customer_dates
    left join recent_activity
        on
            engaged_customer_dates.customer_id = recent_activity.customer_id
            and engaged_customer_dates.as_of_date = recent_activity.as_of_date
    left join csat_before
        on
            engaged_customer_dates.customer_id = csat_before.customer_id
            and engaged_customer_dates.as_of_date = csat_before.as_of_date
    left join bounces_before
        on
            engaged_customer_dates.customer_id = bounces_before.customer_id
            and engaged_customer_dates.as_of_date = bounces_before.as_of_date
)

select * from final
