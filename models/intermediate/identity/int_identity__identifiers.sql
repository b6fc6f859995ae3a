-- One row per (source record, identifier): the strong keys deterministic stitching links on.
-- Every version of a record contributes, because a person's old e-mail or phone still
-- identifies them in the channels that never learned the new one.
with

record_versions as (
    select
        record_key,
        source_name,
        source_record_id,
        email,
        phone,
        linked_web_account_id
    from {{ ref('int_identity__record_versions') }}
),

unioned as (
    select
        record_key,
        source_name,
        source_record_id,
        'email' as identifier_type,
        email as identifier_value
    from record_versions
    where email is not null
    union all
    select
        record_key,
        source_name,
        source_record_id,
        'phone',
        phone
    from record_versions
    where phone is not null
    union all
    -- an app user who logged in with a web account is that account's owner
    select
        record_key,
        source_name,
        source_record_id,
        'web_account',
        source_record_id as own_web_account_id
    from record_versions
    where source_name = 'web'
    union all
    select
        record_key,
        source_name,
        source_record_id,
        'web_account',
        linked_web_account_id
    from record_versions
    where linked_web_account_id is not null
),

final as (
    select distinct
        record_key || '|' || identifier_type || ':' || identifier_value as record_identifier_id,
        record_key,
        source_name,
        source_record_id,
        identifier_type,
        identifier_value
    from unioned
)

select * from final
