-- One row per customer who was sent a campaign: how many of their last
-- var('audience_ignored_campaigns') sends they ignored (no open, click or conversion). Audiences
-- suppress a customer who ignored every one of them: more mail would only train them to unsubscribe.
-- Control-group memberships were never sent, so they count as neither ignored nor answered.
with

campaign_members as (
    select
        campaign_member_id,
        customer_id,
        assigned_at,
        has_responded
    from {{ ref('campaign_member_responses') }}
    where group_name = 'target' and customer_id is not null
),

ranked_sends as (
    select
        customer_id,
        has_responded,
        row_number() over (
            partition by customer_id order by assigned_at desc, campaign_member_id desc
        ) as send_rank
    from campaign_members
),

final as (
    select
        customer_id,
        count(*) as recent_send_count,
        count(case when not has_responded then 1 end) as recent_ignored_count,
        count(*) = {{ var('audience_ignored_campaigns') }}
        and count(case when not has_responded then 1 end) = {{ var('audience_ignored_campaigns') }}
            as is_campaign_fatigued
    from ranked_sends
    where send_rank <= {{ var('audience_ignored_campaigns') }}
    group by customer_id
)

select * from final
