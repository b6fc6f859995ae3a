-- One row per campaign membership (target or control) with the resolved customer, the campaign's
-- channel and whether the member opened, clicked or converted. The grain of the response rate and of
-- the campaign fatigue that audiences suppress. The membership of an erased customer stays (it counts
-- in response rates) but loses its customer.
with

campaign_members as (
    select
        campaign_member_id,
        campaign_id,
        customer_id,
        channel,
        group_name,
        assigned_at,
        has_opened,
        has_clicked,
        has_converted,
        has_responded
    from {{ ref('int_campaign_members__responses') }}
),

erased_customers as (
    select customer_id
    from {{ ref('dim_customers') }}
    where is_erased
),

final as (
    select
        campaign_members.campaign_member_id,
        campaign_members.campaign_id,
        case when erased_customers.customer_id is null then campaign_members.customer_id end as customer_id,
        campaign_members.channel,
        campaign_members.group_name,
        campaign_members.assigned_at,
        cast(campaign_members.assigned_at as date) as assigned_date,
        campaign_members.has_opened,
        campaign_members.has_clicked,
        campaign_members.has_converted,
        campaign_members.has_responded
    from campaign_members
    left join erased_customers on campaign_members.customer_id = erased_customers.customer_id
)

select * from final
