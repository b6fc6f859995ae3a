{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('support_ticket_count') }}"
    )
}}
-- One row per customer: support tickets, complaints and the latest CSAT, and campaign memberships and
-- responses. Tickets reach a customer through their support record, campaigns through their CRM contact.
-- Recomputed whole each run; an incremental run writes only the customers whose row changed, and a
-- tombstone (null support_ticket_count, deleted by the post-hook) for each stored customer who is gone.
with

{% if is_incremental() %}
    stored_rows as (
        select {{ stored_documented_columns() }}
        from {{ this }}
    ),
{% endif %}

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

tickets as (
    select
        ticket_id,
        is_complaint,
        csat_score,
        opened_at
    from {{ ref('stg_support__tickets') }}
),

campaign_members as (
    select
        campaign_member_id,
        contact_id,
        group_name
    from {{ ref('stg_marketing__campaign_members') }}
),

campaign_responses as (
    select
        campaign_member_id,
        response_type
    from {{ ref('stg_marketing__campaign_responses') }}
),

customers as (
    select distinct customer_id from customer_ids
),

customer_tickets as (
    select
        customer_ids.customer_id,
        tickets.is_complaint,
        tickets.csat_score,
        tickets.opened_at
    from tickets
    inner join customer_ids
        on customer_ids.source_name = 'support' and tickets.ticket_id = customer_ids.source_record_id
),

support_summary as (
    select
        customer_id,
        count(*) as support_ticket_count,
        count(case when is_complaint then 1 end) as complaint_count
    from customer_tickets
    group by customer_id
),

csat_ranks as (
    -- most tickets are never rated: the latest rated one speaks for the customer
    select
        customer_id,
        csat_score as last_csat_score,
        row_number() over (partition by customer_id order by opened_at desc) as csat_rank
    from customer_tickets
    where csat_score is not null
),

last_csat as (
    select
        customer_id,
        last_csat_score
    from csat_ranks
    where csat_rank = 1
),

campaign_summary as (
    -- a member has several responses (opens, then a click): memberships are counted distinct
    select
        customer_ids.customer_id,
        count(distinct case when campaign_members.group_name = 'target' then campaign_members.campaign_member_id end)
            as campaigns_targeted_count,
        count(distinct case when campaign_members.group_name = 'control' then campaign_members.campaign_member_id end)
            as campaigns_held_out_count,
        count(case when campaign_responses.response_type = 'open' then 1 end) as campaign_open_count,
        count(case when campaign_responses.response_type = 'click' then 1 end) as campaign_click_count,
        count(case when campaign_responses.response_type = 'convert' then 1 end) as campaign_conversion_count
    from campaign_members
    inner join customer_ids
        on customer_ids.source_name = 'crm' and campaign_members.contact_id = customer_ids.source_record_id
    left join campaign_responses on campaign_members.campaign_member_id = campaign_responses.campaign_member_id
    group by customer_ids.customer_id
),

recomputed_rows as (
    select
        customers.customer_id,
        coalesce(support_summary.support_ticket_count, 0) as support_ticket_count,
        coalesce(support_summary.complaint_count, 0) as complaint_count,
        last_csat.last_csat_score,
        coalesce(campaign_summary.campaigns_targeted_count, 0) as campaigns_targeted_count,
        coalesce(campaign_summary.campaigns_held_out_count, 0) as campaigns_held_out_count,
        coalesce(campaign_summary.campaign_open_count, 0) as campaign_open_count,
        coalesce(campaign_summary.campaign_click_count, 0) as campaign_click_count,
        coalesce(campaign_summary.campaign_conversion_count, 0) as campaign_conversion_count
    from customers
    left join support_summary on customers.customer_id = support_summary.customer_id
    left join last_csat on customers.customer_id = last_csat.customer_id
    left join campaign_summary on customers.customer_id = campaign_summary.customer_id
),

final as (
    {{ recomputed_changes('recomputed_rows', 'stored_rows', 'customer_id') }}
)

select * from final
