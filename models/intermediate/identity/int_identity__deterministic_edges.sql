-- One row per deterministic link between two source records that share a trusted identifier. Each record is
-- linked to the identifier's anchor (its smallest record key) rather than to every other record,
-- so the edge count stays linear in the number of records. Shared identifiers link nothing.
with

identifiers as (
    select
        record_key,
        identifier_type,
        identifier_value
    from {{ ref('int_identity__identifiers') }}
),

shared_identifiers as (
    select
        identifier_type,
        identifier_value
    from {{ ref('int_identity__shared_identifiers') }}
    where is_shared
),

trusted as (
    select
        identifiers.record_key,
        identifiers.identifier_type,
        identifiers.identifier_value
    from identifiers
    left join shared_identifiers
        on
            identifiers.identifier_type = shared_identifiers.identifier_type
            and identifiers.identifier_value = shared_identifiers.identifier_value
    where shared_identifiers.identifier_value is null
),

anchored as (
    select
        record_key,
        identifier_type,
        min(record_key) over (partition by identifier_type, identifier_value) as anchor_record_key
    from trusted
),

final as (
    select
        record_key,
        anchor_record_key,
        identifier_type as match_rule,
        count(*) as identifier_count
    from anchored
    where record_key != anchor_record_key
    group by record_key, anchor_record_key, identifier_type
)

select
    {{ surrogate_key(['record_key', 'anchor_record_key', 'match_rule']) }} as edge_id,
    *
from final
