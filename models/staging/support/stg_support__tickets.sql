with

tickets as (
    select
        ticket_id,
        requester_email,
        requester_email_status,
        requester_phone,
        requester_phone_status,
        requester_name,
        requester_first_name,
        requester_last_name,
        category,
        is_complaint,
        csat_score,
        opened_at,
        resolved_at,
        requester_email_raw,
        requester_phone_raw,
        load_date,
        processed_at
    from {{ ref('base_support__tickets') }}
    where row_status = 'staged'
),

final as (
    select
        ticket_id,
        requester_email,
        requester_email_status,
        requester_phone,
        requester_phone_status,
        requester_name,
        requester_first_name,
        requester_last_name,
        category,
        is_complaint,
        csat_score,
        opened_at,
        resolved_at,
        requester_email_raw,
        requester_phone_raw,
        load_date,
        processed_at
    from tickets
)

select * from final
