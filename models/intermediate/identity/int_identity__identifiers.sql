{#- on_schema_change: a warehouse built before this model was incremental gains record_fingerprint as
    nulls, so its first run redoes every record once, rather than failing -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='record_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('record_identifier_id') }}"
    )
}}
-- One row per (source record, identifier): the strong keys deterministic stitching links on.
-- Every version of a record contributes, because a person's old e-mail or phone still
-- identifies them in the channels that never learned the new one.
-- Incremental by record: a run redoes the records whose identifiers changed (record_fingerprint: a new
-- version, a redelivered or vanished file) and writes a tombstone (null key, deleted by the post-hook)
-- for each stored record left without identifiers. Most of a full build's cost here is writing the rows.
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

{% if is_incremental() %}
    stored_records as (
        select
            record_key,
            any_value({{ stored_column('record_fingerprint', 'string') }}) as record_fingerprint
        from {{ this }}
        group by record_key
    ),
{% endif %}

-- the identifiers as delivered, before distinct: a new version repeating a value redoes its record,
-- which writes the same rows again
fingerprints as (
    select
        record_key,
        {{ set_hash(['identifier_type', 'identifier_value']) }} as record_fingerprint
    from unioned
    group by record_key
),

records as (
    {{ fingerprint_changes('fingerprints', 'stored_records', 'record_key', 'record_fingerprint') }}
),

-- a record left without identifiers (null fingerprint) joins nothing: its row of nulls is its tombstone
final as (
    select distinct
        unioned.record_key || '|' || unioned.identifier_type || ':' || unioned.identifier_value
            as record_identifier_id,
        records.record_key,
        unioned.source_name,
        unioned.source_record_id,
        unioned.identifier_type,
        unioned.identifier_value,
        records.record_fingerprint
    from records
    left join unioned on records.record_key = unioned.record_key
)

select * from final
