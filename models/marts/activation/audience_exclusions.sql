-- One row per audience and exclusion reason: how many customers the predicate selected but the
-- audience leaves out, and why. Every reason appears for every audience, with 0 when none applies, so
-- a report can tell "nobody" from "not computed".
with

audiences as (
    select audience_name from {{ ref('audiences') }}
),

matches as (
    select
        audience_name,
        exclusion_reason
    from {{ ref('audience_matches') }}
),

reasons as (
    select reason_list.reason
    from (values ('no_consent'), ('no_valid_contact'), ('ignored_last_campaigns')) as reason_list (reason)
),

excluded_counts as (
    select
        audience_name,
        exclusion_reason,
        count(*) as customer_count
    from matches
    where exclusion_reason is not null
    group by audience_name, exclusion_reason
),

final as (
    select
        audiences.audience_name || ':' || reasons.reason as audience_exclusion_id,
        audiences.audience_name,
        reasons.reason as exclusion_reason,
        coalesce(excluded_counts.customer_count, 0) as customer_count
    from audiences
    cross join reasons
    left join excluded_counts
        on
            audiences.audience_name = excluded_counts.audience_name
            and reasons.reason = excluded_counts.exclusion_reason
)

select * from final
