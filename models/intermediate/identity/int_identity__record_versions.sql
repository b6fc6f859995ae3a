-- One row per version of every customer-bearing source record (web account, loyalty card, app user,
-- CRM contact, support ticket) with every identity and contact attribute it offers, in one shape.
-- Identity resolution, survivorship and the decay mart all read the five sources through this model,
-- so they are unioned once. Only usable e-mails (valid or corrected) and valid phones are kept.
with

web_accounts as (
    select
        account_id,
        created_at,
        updated_at,
        load_date,
        first_name,
        last_name,
        email,
        email_status,
        phone,
        postal_code,
        is_postal_code_valid,
        country_code
    from {{ ref('stg_web__accounts') }}
),

loyalty_members as (
    select
        loyalty_card_id,
        enrolled_at,
        updated_at,
        load_date,
        first_name,
        last_name,
        email,
        email_status,
        phone,
        postal_code,
        is_postal_code_valid,
        country_code,
        birth_date
    from {{ ref('stg_store__loyalty_members') }}
),

app_users as (
    select
        app_user_id,
        web_account_id,
        installed_at,
        updated_at,
        load_date,
        first_name,
        email,
        email_status
    from {{ ref('stg_app__app_users') }}
),

crm_contacts as (
    select
        contact_id,
        created_at,
        updated_at,
        load_date,
        first_name,
        last_name,
        email,
        email_status,
        email_verified_at,
        email_bounced_at,
        phone,
        street_address,
        city,
        postal_code,
        is_postal_code_valid,
        country_code,
        birth_date,
        gender
    from {{ ref('stg_crm__contacts') }}
),

support_tickets as (
    select
        ticket_id,
        opened_at,
        load_date,
        requester_first_name,
        requester_last_name,
        requester_email,
        requester_email_status,
        requester_phone
    from {{ ref('stg_support__tickets') }}
),

unioned as (
    select
        'web' as source_name,
        account_id as source_record_id,
        created_at as record_created_at,
        updated_at as version_at,
        load_date,
        first_name,
        last_name,
        case when email_status in ('valid', 'corrected') then email end as email,
        cast(null as timestamp) as email_verified_at,
        cast(null as timestamp) as email_bounced_at,
        phone,
        cast(null as string) as street_address,
        cast(null as string) as city,
        postal_code,
        is_postal_code_valid,
        country_code,
        cast(null as date) as birth_date,
        cast(null as string) as gender,
        cast(null as string) as linked_web_account_id
    from web_accounts
    union all
    select
        'store',
        loyalty_card_id,
        enrolled_at,
        updated_at,
        load_date,
        first_name,
        last_name,
        case when email_status in ('valid', 'corrected') then email end,
        null,
        null,
        phone,
        null,
        null,
        postal_code,
        is_postal_code_valid,
        country_code,
        birth_date,
        null,
        null
    from loyalty_members
    union all
    select
        'app',
        app_user_id,
        installed_at,
        updated_at,
        load_date,
        first_name,
        null,
        case when email_status in ('valid', 'corrected') then email end,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        web_account_id
    from app_users
    union all
    select
        'crm',
        contact_id,
        created_at,
        updated_at,
        load_date,
        first_name,
        last_name,
        case when email_status in ('valid', 'corrected') then email end,
        email_verified_at,
        email_bounced_at,
        phone,
        street_address,
        city,
        postal_code,
        is_postal_code_valid,
        country_code,
        birth_date,
        gender,
        null
    from crm_contacts
    union all
    select
        'support',
        ticket_id,
        opened_at,
        opened_at as ticket_version_at,
        load_date,
        requester_first_name,
        requester_last_name,
        case when requester_email_status in ('valid', 'corrected') then requester_email end,
        null,
        null,
        requester_phone,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null
    from support_tickets
),

final as (
    select
        {{ surrogate_key(['source_name', 'source_record_id', 'version_at']) }} as record_version_id,
        source_name || ':' || source_record_id as record_key,
        *
    from unioned
)

select * from final
