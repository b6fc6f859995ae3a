with

loyalty_members as (
    select
        loyalty_card_id,
        email,
        email_status,
        first_name,
        last_name,
        phone,
        phone_status,
        country_code,
        postal_code,
        is_postal_code_valid,
        birth_date,
        is_birth_date_implausible,
        enrolled_at,
        updated_at,
        email_raw,
        phone_raw,
        load_date,
        processed_at
    from {{ ref('base_store__loyalty_members') }}
    where row_status = 'staged'
),

final as (
    select
        {{ surrogate_key(['loyalty_card_id', 'updated_at']) }} as loyalty_card_version_id,
        loyalty_card_id,
        email,
        email_status,
        first_name,
        last_name,
        phone,
        phone_status,
        country_code,
        postal_code,
        is_postal_code_valid,
        birth_date,
        is_birth_date_implausible,
        enrolled_at,
        updated_at,
        email_raw,
        phone_raw,
        load_date,
        processed_at,
        row_number() over (partition by loyalty_card_id order by updated_at desc, load_date desc) = 1 as is_current
    from loyalty_members
)

select * from final
