{#- on_schema_change: a warehouse built before this model was incremental gains the new columns as
    nulls, so its first run redoes every record once, rather than failing -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='record_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('customer_id') }}"
    )
}}
-- One row per source record with its customer_id. A cluster's id is derived from its earliest
-- record (first loaded, then created, then key), so it survives new data: records that join a
-- cluster later never change its earliest record. When new data joins two clusters, the id of
-- the one seen first survives, and the customer_id_merges mart records the other id's merge.
-- Incremental by component, after int_identity__clusters: a run redoes the records of the components
-- clustered since its last run (clusters rewrites a redone component whole), and writes a tombstone
-- (null customer_id, deleted by the post-hook) for each stored record that is no longer clustered.
with

clusters as (
    select
        record_key,
        cluster_label,
        clustered_at
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

{% if is_incremental() %}
    stored_ids as (
        select
            record_key,
            {{ stored_column('clustered_at', 'timestamp') }} as clustered_at
        from {{ this }}
    ),
{% endif %}

redone_clusters as (
    select
        record_key,
        cluster_label,
        clustered_at
    from clusters
    {% if is_incremental() %}
        where clustered_at > (
            select coalesce(max(stored_ids.clustered_at), cast('1900-01-01' as timestamp)) from stored_ids
        )
    {% endif %}
),

ranked_records as (
    select
        redone_clusters.cluster_label,
        source_records.record_key,
        row_number() over (
            partition by redone_clusters.cluster_label
            order by source_records.first_loaded_date, source_records.record_created_at, source_records.record_key
        ) as record_rank
    from redone_clusters
    inner join source_records on redone_clusters.record_key = source_records.record_key
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
    {% if is_incremental() %}
        where record_key in (select redone_clusters.record_key from redone_clusters)
    {% endif %}
    group by record_key
),

final as (
    select
        source_records.record_key,
        source_records.source_name,
        source_records.source_record_id,
        cluster_ids.customer_id,
        coalesce(record_rules.match_rule, 'unmatched') as match_rule,
        redone_clusters.clustered_at
    from source_records
    inner join redone_clusters on source_records.record_key = redone_clusters.record_key
    inner join cluster_ids on redone_clusters.cluster_label = cluster_ids.cluster_label
    left join record_rules on source_records.record_key = record_rules.record_key
    {% if is_incremental() %}
        union all
        -- a record no longer clustered (gone from the sources): a tombstone
        select
            stored_ids.record_key,
            null as source_name,
            null as source_record_id,
            null as customer_id,
            null as match_rule,
            stored_ids.clustered_at
        from stored_ids
        left join clusters on stored_ids.record_key = clusters.record_key
        where clusters.record_key is null
    {% endif %}
)

select * from final
