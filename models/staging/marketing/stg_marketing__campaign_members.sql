with

campaign_members as (
    select
        campaign_member_id,
        campaign_id,
        contact_id,
        group_name,
        assigned_at,
        load_date,
        processed_at
    from {{ ref('base_marketing__campaign_members') }}
    where row_status = 'staged'
),

final as (
    select
        campaign_member_id,
        campaign_id,
        contact_id,
        group_name,
        assigned_at,
        load_date,
        processed_at
    from campaign_members
)

select * from final
