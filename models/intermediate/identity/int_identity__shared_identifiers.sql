-- One row per identifier value with how many records and names carry it, and whether it is
-- too shared to glue records together (a family phone, a shop's e-mail, a placeholder nobody
-- listed). Detected from the data, not from a hand list:
--   too_many_records: more entity records than one person plausibly has (support tickets are
--                     left out of the count: one person may open many);
--   names_disagree:   first names on its records are further apart than typos explain;
--   phone_repeats_in_source: a phone on two records of one channel (two CRM contacts, two cards):
--                     households share a landline, often with namesakes, so the phone alone
--                     cannot tell them apart; their e-mails still link each person's records.
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
        from identifiers
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
    from identifiers
    inner join source_records on identifiers.record_key = source_records.record_key
    group by identifiers.identifier_type, identifiers.identifier_value
),

final as (
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
)

select
    *,
    shared_reason is not null as is_shared
from final
