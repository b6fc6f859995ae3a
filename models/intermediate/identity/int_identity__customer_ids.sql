-- One row per source record with its customer_id. A cluster's id is derived from its earliest
-- record (first loaded, then created, then key), so it survives new data: records that join a
-- cluster later never change its earliest record. When new data joins two clusters, the id of
-- the one seen first survives, and the customer_id_merges mart records the other id's merge.
with

clusters as (
    select
        record_key,
        cluster_label
    from {{ ref('int_identity__clusters') }}
),

source_records as (
    select
        record_key,
        source_name,
        source_record_id,
        record_created_at,
        first_loaded_date
    from {{ ref('int_identity__source_records') }}
),

edges as (
    select
        record_key,
        anchor_record_key,
        match_rule
    from {{ ref('int_identity__edges') }}
),

ranked_records as (
    select
        clusters.cluster_label,
        source_records.record_key,
        row_number() over (
            partition by clusters.cluster_label
            order by source_records.first_loaded_date, source_records.record_created_at, source_records.record_key
        ) as record_rank
    from clusters
    inner join source_records on clusters.record_key = source_records.record_key
),

cluster_ids as (
    select
        cluster_label,
        'C' || upper(substr(md5(record_key), 1, 12)) as customer_id
    from ranked_records
    where record_rank = 1
),

record_edges as (
    select
        record_key,
        match_rule
    from edges
    union all
    select
        anchor_record_key,
        match_rule
    from edges
),

record_rules as (
    select
        record_key,
        {{ list_agg_distinct('match_rule') }} as match_rule
    from record_edges
    group by record_key
),

final as (
    select
        source_records.record_key,
        source_records.source_name,
        source_records.source_record_id,
        cluster_ids.customer_id,
        coalesce(record_rules.match_rule, 'unmatched') as match_rule
    from source_records
    inner join clusters on source_records.record_key = clusters.record_key
    inner join cluster_ids on clusters.cluster_label = cluster_ids.cluster_label
    left join record_rules on source_records.record_key = record_rules.record_key
)

select * from final
