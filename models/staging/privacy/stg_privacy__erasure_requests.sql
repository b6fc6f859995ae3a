with

erasure_requests as (
    select
        erasure_request_id,
        contact_id,
        email,
        email_status,
        requested_at,
        load_date,
        processed_at
    from {{ ref('base_privacy__erasure_requests') }}
    where row_status = 'staged'
),

final as (
    select
        erasure_request_id,
        contact_id,
        email,
        email_status,
        requested_at,
        load_date,
        processed_at
    from erasure_requests
)

select * from final
