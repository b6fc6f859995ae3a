-- One row per customer-bearing source record: the nodes of the identity graph.
-- record_key ('<source>:<id>') is what identity work joins on; first_loaded_date orders records
-- by when the warehouse first saw them, which keeps customer ids stable as data arrives.
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
        postal_code
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
        postal_code,
        birth_date
    from {{ ref('stg_store__loyalty_members') }}
),

app_users as (
    select
        app_user_id,
        installed_at,
        updated_at,
        load_date,
        first_name,
        email
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
        postal_code,
        birth_date
    from {{ ref('stg_crm__contacts') }}
),

support_tickets as (
    select
        ticket_id,
        opened_at,
        load_date,
        requester_name,
        requester_email
    from {{ ref('stg_support__tickets') }}
),

record_versions as (
    select
        'web' as source_name,
        account_id as source_record_id,
        created_at as record_created_at,
        updated_at,
        load_date,
        first_name,
        last_name,
        email,
        postal_code,
        cast(null as date) as birth_date
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
        email,
        postal_code,
        birth_date
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
        email,
        null,
        null
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
        email,
        postal_code,
        birth_date
    from crm_contacts
    union all
    -- Tickets carry one free-text name: its first word is the first name, its last word the last name.
    select
        'support',
        ticket_id,
        opened_at,
        opened_at as ticket_updated_at,
        load_date,
        nullif(split_part(requester_name, ' ', 1), ''),
        case when requester_name like '% %' then {{ last_word('requester_name') }} end,
        requester_email,
        null,
        null
    from support_tickets
),

latest_versions as (
    select
        source_name,
        source_record_id,
        first_name,
        last_name,
        email,
        postal_code,
        birth_date,
        row_number() over (partition by source_name, source_record_id order by updated_at desc, load_date desc)
            as version_rank
    from record_versions
),

record_dates as (
    select
        source_name,
        source_record_id,
        min(record_created_at) as record_created_at,
        min(load_date) as first_loaded_date,
        max(updated_at) as last_updated_at
    from record_versions
    group by source_name, source_record_id
),

final as (
    select
        record_dates.source_name || ':' || record_dates.source_record_id as record_key,
        record_dates.source_name,
        record_dates.source_record_id,
        record_dates.record_created_at,
        record_dates.first_loaded_date,
        record_dates.last_updated_at,
        latest_versions.first_name,
        latest_versions.last_name,
        latest_versions.email,
        latest_versions.postal_code,
        latest_versions.birth_date
    from record_dates
    inner join latest_versions
        on
            record_dates.source_name = latest_versions.source_name
            and record_dates.source_record_id = latest_versions.source_record_id
            and latest_versions.version_rank = 1
)

select * from final
