with

campaigns as (
    select
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        cost_amount,
        load_date,
        processed_at
    from {{ ref('base_marketing__campaigns') }}
    where row_status = 'staged'
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        cost_amount,
        load_date,
        processed_at
    from campaigns
)

select * from final
