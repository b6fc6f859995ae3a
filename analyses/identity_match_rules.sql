-- How source records were linked to customers, per source: a first look when identity recall or
-- precision moves (compile with `dbt compile --select identity_match_rules` and run the SQL).
with

bridge as (
    select
        source_name,
        match_rule
    from {{ ref('bridge_customer_identity') }}
),

final as (
    select
        source_name,
        match_rule,
        count(*) as record_count,
        count(*) * 1.0 / sum(count(*)) over (partition by source_name) as record_share
    from bridge
    group by source_name, match_rule
)

select * from final
order by source_name asc, record_count desc
