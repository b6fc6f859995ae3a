{#- on_schema_change: a warehouse built before this model was incremental gains identifier_fingerprint as
    nulls, so its first run redoes every identifier once, rather than failing -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='identifier_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('identifier_type') }}"
    )
}}
-- One row per identifier value with how many records and names carry it, and whether it is
-- too shared to glue records together (a family phone, a shop's e-mail, a placeholder nobody
-- listed). Detected from the data, not from a hand list:
--   too_many_records: more entity records than one person plausibly has (support tickets are
--                     left out of the count: one person may open many);
--   names_disagree:   first names on its records are further apart than typos explain;
--   phone_repeats_in_source: a phone on two records of one channel (two CRM contacts, two cards):
--                     households share a landline, often with namesakes, so the phone alone
--                     cannot tell them apart; their e-mails still link each person's records.
-- Incremental by identifier: a run redoes the identifiers whose records changed (identifier_fingerprint
-- covers each record, its channel, its first name and the two thresholds) and writes a tombstone (null
-- type, deleted by the post-hook) for each stored identifier no record carries any more.
with

identifiers as (
    select
        record_key,
        source_name,
        identifier_type,
        identifier_value
    from {{ ref('int_identity__identifiers') }}
),

source_records as (
    select
        record_key,
        first_name
    from {{ ref('int_identity__source_records') }}
),

{% if is_incremental() %}
    stored_identifiers as (
        select
            identifier_id,
            {{ stored_column('identifier_fingerprint', 'string') }} as identifier_fingerprint
        from {{ this }}
    ),
{% endif %}

fingerprints as (
    select
        identifiers.identifier_type || ':' || identifiers.identifier_value as identifier_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        {{ set_hash([
            'identifiers.record_key',
            'identifiers.source_name',
            'lower(source_records.first_name)',
            "'" ~ var('identity_max_records_per_identifier') ~ "'",
            "'" ~ var('identity_max_first_name_distance') ~ "'"
        ]) }} as identifier_fingerprint
    from identifiers
    inner join source_records on identifiers.record_key = source_records.record_key
    group by identifiers.identifier_type, identifiers.identifier_value
),

redone_identifiers as (
    {{ fingerprint_changes(
        'fingerprints', 'stored_identifiers', 'identifier_id', 'identifier_fingerprint',
        ['identifier_type', 'identifier_value']
    ) }}
),

redone_identifier_records as (
    select identifiers.*
    from identifiers
    {% if is_incremental() %}
        inner join redone_identifiers
            on
                identifiers.identifier_type = redone_identifiers.identifier_type
                and identifiers.identifier_value = redone_identifiers.identifier_value
    {% endif %}
),

records_per_source as (
    select
        identifier_type,
        identifier_value,
        max(source_record_count) as max_records_in_one_source
    from (
        select
            identifier_type,
            identifier_value,
            source_name,
            count(distinct record_key) as source_record_count
        from redone_identifier_records
        where source_name != 'support'
        group by identifier_type, identifier_value, source_name
    ) as per_source
    group by identifier_type, identifier_value
),

identifier_stats as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        count(distinct identifiers.record_key) as record_count,
        count(distinct case when identifiers.source_name != 'support' then identifiers.record_key end)
            as entity_record_count,
        count(distinct lower(source_records.first_name)) as first_name_count,
        min(lower(source_records.first_name)) as min_first_name,
        max(lower(source_records.first_name)) as max_first_name
    from redone_identifier_records as identifiers
    inner join source_records on identifiers.record_key = source_records.record_key
    group by identifiers.identifier_type, identifiers.identifier_value
),

shared_reasons as (
    select
        identifier_stats.identifier_type || ':' || identifier_stats.identifier_value as identifier_id,
        identifier_stats.identifier_type,
        identifier_stats.identifier_value,
        identifier_stats.record_count,
        identifier_stats.entity_record_count,
        identifier_stats.first_name_count,
        records_per_source.max_records_in_one_source,
        case
            when identifier_stats.entity_record_count > {{ var('identity_max_records_per_identifier') }}
                then 'too_many_records'
            -- an explicit account link is the person's own login: names are not checked
            when
                identifier_stats.identifier_type != 'web_account'
                and levenshtein(identifier_stats.min_first_name, identifier_stats.max_first_name)
                > {{ var('identity_max_first_name_distance') }}
                then 'names_disagree'
            when
                identifier_stats.identifier_type = 'phone' and records_per_source.max_records_in_one_source > 1
                then 'phone_repeats_in_source'
        end as shared_reason
    from identifier_stats
    left join records_per_source
        on
            identifier_stats.identifier_type = records_per_source.identifier_type
            and identifier_stats.identifier_value = records_per_source.identifier_value
),

-- an identifier no record carries (null fingerprint) joins nothing: its row of nulls is its tombstone
final as (
    select
        redone_identifiers.identifier_id,
        shared_reasons.identifier_type,
        shared_reasons.identifier_value,
        shared_reasons.record_count,
        shared_reasons.entity_record_count,
        shared_reasons.first_name_count,
        shared_reasons.max_records_in_one_source,
        shared_reasons.shared_reason,
        shared_reasons.shared_reason is not null as is_shared,
        redone_identifiers.identifier_fingerprint
    from redone_identifiers
    left join shared_reasons on redone_identifiers.identifier_id = shared_reasons.identifier_id
)

select * from final
