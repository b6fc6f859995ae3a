with

accounts as (
    select
        account_id,
        email,
        email_status,
        first_name,
        last_name,
        phone,
        phone_status,
        country_code,
        postal_code,
        is_postal_code_valid,
        created_at,
        updated_at,
        email_raw,
        phone_raw,
        load_date,
        processed_at
    from {{ ref('base_web__accounts') }}
    where row_status = 'staged'
),

final as (
    select
        {{ surrogate_key(['account_id', 'updated_at']) }} as account_version_id,
        account_id,
        email,
        email_status,
        first_name,
        last_name,
        phone,
        phone_status,
        country_code,
        postal_code,
        is_postal_code_valid,
        created_at,
        updated_at,
        email_raw,
        phone_raw,
        load_date,
        processed_at,
        row_number() over (partition by account_id order by updated_at desc, load_date desc) = 1 as is_current
    from accounts
)

select * from final
