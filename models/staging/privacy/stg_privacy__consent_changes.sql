with

consent_changes as (
    select
        consent_change_id,
        contact_id,
        email,
        email_status,
        channel,
        is_granted,
        changed_at,
        load_date,
        processed_at
    from {{ ref('base_privacy__consent_changes') }}
    where row_status = 'staged'
),

final as (
    select
        consent_change_id,
        contact_id,
        email,
        email_status,
        channel,
        is_granted,
        changed_at,
        load_date,
        processed_at
    from consent_changes
)

select * from final
