with

app_users as (
    select
        app_user_id,
        web_account_id,
        email,
        email_status,
        first_name,
        device_type,
        operating_system,
        os_version,
        installed_at,
        updated_at,
        email_raw,
        load_date,
        processed_at
    from {{ ref('base_app__app_users') }}
    where row_status = 'staged'
),

final as (
    select
        {{ surrogate_key(['app_user_id', 'updated_at']) }} as app_user_version_id,
        app_user_id,
        web_account_id,
        email,
        email_status,
        first_name,
        device_type,
        operating_system,
        os_version,
        installed_at,
        updated_at,
        email_raw,
        load_date,
        processed_at,
        row_number() over (partition by app_user_id order by updated_at desc, load_date desc) = 1 as is_current
    from app_users
)

select * from final
