-- One row per audience and customer who may be reached on the audience's channel now (see
-- audience_matches for the rules). Holdouts stay in, marked: they are measured like the others and
-- simply not sent, so the campaign's lift can be read against them.
with

matches as (
    select
        audience_match_id,
        audience_name,
        customer_id,
        channel,
        is_holdout,
        exclusion_reason
    from {{ ref('audience_matches') }}
),

final as (
    select
        audience_match_id as audience_member_id,
        audience_name,
        customer_id,
        channel,
        is_holdout
    from matches
    where exclusion_reason is null
)

select * from final
