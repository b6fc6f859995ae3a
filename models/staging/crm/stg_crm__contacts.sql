with

contacts as (
    select
        contact_id,
        first_name,
        last_name,
        email,
        email_status,
        phone,
        phone_status,
        street_address,
        city,
        country_code,
        postal_code,
        is_postal_code_valid,
        birth_date,
        is_birth_date_implausible,
        gender,
        acquisition_source,
        acquisition_campaign_id,
        email_verified_at,
        email_bounced_at,
        created_at,
        updated_at,
        email_raw,
        phone_raw,
        load_date,
        processed_at
    from {{ ref('base_crm__contacts') }}
    where row_status = 'staged'
),

final as (
    select
        {{ surrogate_key(['contact_id', 'updated_at']) }} as contact_version_id,
        contact_id,
        first_name,
        last_name,
        email,
        email_status,
        phone,
        phone_status,
        street_address,
        city,
        country_code,
        postal_code,
        is_postal_code_valid,
        birth_date,
        is_birth_date_implausible,
        gender,
        acquisition_source,
        acquisition_campaign_id,
        email_verified_at,
        email_bounced_at,
        created_at,
        updated_at,
        email_raw,
        phone_raw,
        load_date,
        processed_at,
        row_number() over (partition by contact_id order by updated_at desc, load_date desc) = 1 as is_current
    from contacts
)

select * from final
