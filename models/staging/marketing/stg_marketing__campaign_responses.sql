with

campaign_responses as (
    select
        response_id,
        campaign_member_id,
        response_type,
        responded_at,
        load_date,
        processed_at
    from {{ ref('base_marketing__campaign_responses') }}
    where row_status = 'staged'
),

final as (
    select
        response_id,
        campaign_member_id,
        response_type,
        responded_at,
        load_date,
        processed_at
    from campaign_responses
)

select * from final
