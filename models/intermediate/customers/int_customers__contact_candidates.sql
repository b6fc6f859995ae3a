-- One row per version of every customer-bearing source record, with the customer it resolved to
-- and every contact attribute it offers: the candidates survivorship chooses from.
with

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

web_accounts as (
    select
        account_id,
        updated_at,
        first_name,
        last_name,
        phone,
        postal_code,
        is_postal_code_valid,
        country_code,
        case when email_status in ('valid', 'corrected') then email end as email
    from {{ ref('stg_web__accounts') }}
),

loyalty_members as (
    select
        loyalty_card_id,
        updated_at,
        first_name,
        last_name,
        phone,
        postal_code,
        is_postal_code_valid,
        country_code,
        birth_date,
        case when email_status in ('valid', 'corrected') then email end as email
    from {{ ref('stg_store__loyalty_members') }}
),

app_users as (
    select
        app_user_id,
        updated_at,
        first_name,
        case when email_status in ('valid', 'corrected') then email end as email
    from {{ ref('stg_app__app_users') }}
),

crm_contacts as (
    select
        contact_id,
        updated_at,
        first_name,
        last_name,
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
        case when email_status in ('valid', 'corrected') then email end as email
    from {{ ref('stg_crm__contacts') }}
),

support_tickets as (
    select
        ticket_id,
        opened_at,
        requester_phone,
        case when requester_email_status in ('valid', 'corrected') then requester_email end as requester_email
    from {{ ref('stg_support__tickets') }}
),

record_versions as (
    select
        'web' as source_name,
        account_id as source_record_id,
        updated_at as seen_at,
        first_name,
        last_name,
        email,
        cast(null as timestamp) as email_verified_at,
        cast(null as timestamp) as email_bounced_at,
        phone,
        cast(null as varchar) as street_address,
        cast(null as varchar) as city,
        postal_code,
        is_postal_code_valid,
        country_code,
        cast(null as date) as birth_date,
        cast(null as varchar) as gender
    from web_accounts
    union all
    select
        'store',
        loyalty_card_id,
        updated_at,
        first_name,
        last_name,
        email,
        null,
        null,
        phone,
        null,
        null,
        postal_code,
        is_postal_code_valid,
        country_code,
        birth_date,
        null
    from loyalty_members
    union all
    select
        'app',
        app_user_id,
        updated_at,
        first_name,
        null,
        email,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null
    from app_users
    union all
    select
        'crm',
        contact_id,
        updated_at,
        first_name,
        last_name,
        email,
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
    from crm_contacts
    union all
    select
        'support',
        ticket_id,
        opened_at,
        null,
        null,
        requester_email,
        null,
        null,
        requester_phone,
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
        {{ surrogate_key([
            'record_versions.source_name', 'record_versions.source_record_id', 'record_versions.seen_at'
        ]) }} as candidate_id,
        customer_ids.customer_id,
        record_versions.source_name,
        record_versions.source_record_id,
        record_versions.seen_at,
        record_versions.first_name,
        record_versions.last_name,
        record_versions.email,
        record_versions.email_verified_at,
        record_versions.email_bounced_at,
        record_versions.phone,
        record_versions.street_address,
        record_versions.city,
        record_versions.postal_code,
        record_versions.is_postal_code_valid,
        record_versions.country_code,
        record_versions.birth_date,
        record_versions.gender
    from record_versions
    inner join customer_ids
        on
            record_versions.source_name = customer_ids.source_name
            and record_versions.source_record_id = customer_ids.source_record_id
)

select * from final
