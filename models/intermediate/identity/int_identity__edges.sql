-- One row per edge of the identity graph: deterministic links on shared strong keys, and the
-- fuzzy links that attach records no strong key reached.
with

deterministic_edges as (
    select
        edge_id,
        record_key,
        anchor_record_key,
        match_rule
    from {{ ref('int_identity__deterministic_edges') }}
),

fuzzy_edges as (
    select
        edge_id,
        record_key,
        anchor_record_key,
        match_rule
    from {{ ref('int_identity__fuzzy_edges') }}
),

final as (
    select
        edge_id,
        record_key,
        anchor_record_key,
        match_rule
    from deterministic_edges
    union all
    select
        edge_id,
        record_key,
        anchor_record_key,
        match_rule
    from fuzzy_edges
)

select * from final
