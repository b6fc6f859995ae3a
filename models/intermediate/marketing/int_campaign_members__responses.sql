-- One row per campaign membership with the customer its CRM contact resolved to, its campaign's channel
-- and start, and whether the member opened, clicked or converted: the one place the campaign marts join
-- members, responses and identity. Members of a campaign that was not staged keep null campaign columns.
with

campaign_members as (
    select
        campaign_member_id,
        campaign_id,
        contact_id,
        group_name,
        assigned_at
    from {{ ref('stg_marketing__campaign_members') }}
),

campaigns as (
    select
        campaign_id,
        channel,
        start_date
    from {{ ref('stg_marketing__campaigns') }}
),

campaign_responses as (
    select
        campaign_member_id,
        response_type
    from {{ ref('stg_marketing__campaign_responses') }}
),

customer_ids as (
    select
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
    where source_name = 'crm'
),

responses_per_member as (
    select
        campaign_member_id,
        count(case when response_type = 'open' then 1 end) > 0 as has_opened,
        count(case when response_type = 'click' then 1 end) > 0 as has_clicked,
        count(case when response_type = 'convert' then 1 end) > 0 as has_converted
    from campaign_responses
    group by campaign_member_id
),

final as (
    select
        campaign_members.campaign_member_id,
        campaign_members.campaign_id,
        customer_ids.customer_id,
        campaigns.channel,
        campaigns.start_date as campaign_start_date,
        campaign_members.group_name,
        campaign_members.assigned_at,
        coalesce(responses_per_member.has_opened, false) as has_opened,
        coalesce(responses_per_member.has_clicked, false) as has_clicked,
        coalesce(responses_per_member.has_converted, false) as has_converted,
        responses_per_member.campaign_member_id is not null as has_responded
    from campaign_members
    left join customer_ids on campaign_members.contact_id = customer_ids.source_record_id
    left join campaigns on campaign_members.campaign_id = campaigns.campaign_id
    left join responses_per_member on campaign_members.campaign_member_id = responses_per_member.campaign_member_id
)

select * from final
