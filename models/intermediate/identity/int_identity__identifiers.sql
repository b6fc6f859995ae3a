-- One row per (source record, identifier): the strong keys deterministic stitching links on.
-- Every version of a record contributes, because a person's old e-mail or phone still
-- identifies them in the channels that never learned the new one.
with

web_accounts as (
    select
        account_id,
        email,
        email_status,
        phone
    from {{ ref('stg_web__accounts') }}
),

loyalty_members as (
    select
        loyalty_card_id,
        email,
        email_status,
        phone
    from {{ ref('stg_store__loyalty_members') }}
),

app_users as (
    select
        app_user_id,
        web_account_id,
        email,
        email_status
    from {{ ref('stg_app__app_users') }}
),

crm_contacts as (
    select
        contact_id,
        email,
        email_status,
        phone
    from {{ ref('stg_crm__contacts') }}
),

support_tickets as (
    select
        ticket_id,
        requester_email,
        requester_email_status,
        requester_phone
    from {{ ref('stg_support__tickets') }}
),

emails as (
    select
        'web' as source_name,
        account_id as source_record_id,
        email as identifier_value
    from web_accounts
    where email_status in ('valid', 'corrected')
    union all
    select
        'store',
        loyalty_card_id,
        email
    from loyalty_members
    where email_status in ('valid', 'corrected')
    union all
    select
        'app',
        app_user_id,
        email
    from app_users
    where email_status in ('valid', 'corrected')
    union all
    select
        'crm',
        contact_id,
        email
    from crm_contacts
    where email_status in ('valid', 'corrected')
    union all
    select
        'support',
        ticket_id,
        requester_email
    from support_tickets
    where requester_email_status in ('valid', 'corrected')
),

phones as (
    -- staging keeps a phone only when it is valid
    select
        'web' as source_name,
        account_id as source_record_id,
        phone as identifier_value
    from web_accounts
    where phone is not null
    union all
    select
        'store',
        loyalty_card_id,
        phone
    from loyalty_members
    where phone is not null
    union all
    select
        'crm',
        contact_id,
        phone
    from crm_contacts
    where phone is not null
    union all
    select
        'support',
        ticket_id,
        requester_phone
    from support_tickets
    where requester_phone is not null
),

web_account_links as (
    -- an app user who logged in with a web account is that account's owner
    select
        'web' as source_name,
        account_id as source_record_id,
        account_id as identifier_value
    from web_accounts
    union all
    select
        'app',
        app_user_id,
        web_account_id
    from app_users
    where web_account_id is not null
),

unioned as (
    select
        source_name,
        source_record_id,
        'email' as identifier_type,
        identifier_value
    from emails
    union all
    select
        source_name,
        source_record_id,
        'phone',
        identifier_value
    from phones
    union all
    select
        source_name,
        source_record_id,
        'web_account',
        identifier_value
    from web_account_links
),

final as (
    select distinct
        source_name || ':' || source_record_id || '|' || identifier_type || ':' || identifier_value
            as record_identifier_id,
        source_name || ':' || source_record_id as record_key,
        source_name,
        source_record_id,
        identifier_type,
        identifier_value
    from unioned
)

select * from final
