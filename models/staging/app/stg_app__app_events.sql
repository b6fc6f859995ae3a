with

app_events as (
    select
        event_id,
        app_user_id,
        event_type,
        event_at,
        order_id,
        amount,
        product_id,
        load_date,
        processed_at
    from {{ ref('base_app__app_events') }}
    where row_status = 'staged'
),

final as (
    select
        event_id,
        app_user_id,
        event_type,
        event_at,
        order_id,
        amount,
        product_id,
        load_date,
        processed_at
    from app_events
)

select * from final
