-- One row per audience of seeds/audiences.csv, checked (audience_rules), with how many customers its
-- predicate selects, how many are members and how many of those are held out. The export and the
-- campaign tools read the audience's channel here. The seed is checked here too (audience_rules), so
-- that building this model alone still refuses a bad audience with its one-line reason.
{%- do audience_rules(ref('audiences'), 'audience_attributes') %}

with

audiences as (
    select
        audience_name,
        description,
        owner,
        channel,
        predicate,
        holdout_percent
    from {{ ref('audiences') }}
),

matches as (
    select
        audience_name,
        exclusion_reason,
        is_holdout
    from {{ ref('audience_matches') }}
),

match_counts as (
    select
        audience_name,
        count(*) as selected_count,
        count(case when exclusion_reason is null then 1 end) as member_count,
        count(case when is_holdout then 1 end) as holdout_count
    from matches
    group by audience_name
),

final as (
    select
        audiences.audience_name,
        audiences.description,
        audiences.owner,
        audiences.channel,
        audiences.predicate,
        audiences.holdout_percent,
        coalesce(match_counts.selected_count, 0) as selected_count,
        coalesce(match_counts.member_count, 0) as member_count,
        coalesce(match_counts.holdout_count, 0) as holdout_count
    from audiences
    left join match_counts on audiences.audience_name = match_counts.audience_name
)

select * from final
