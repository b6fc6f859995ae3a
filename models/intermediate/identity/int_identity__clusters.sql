{#- on_schema_change: a warehouse built before this model was incremental gains the new columns as
    nulls, so its first run redoes every record once, rather than failing -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='record_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('cluster_label') }}"
    )
}}
-- One row per source record with the connected component (cluster) of the identity graph it
-- belongs to. Components are found by label propagation: every record starts with its own key as
-- label and takes the smallest label among itself and its neighbours, var('identity_label_iterations')
-- times, unrolled in Jinja so the SQL is plain joins and group-bys on any engine. A singular test
-- (assert_identity_clusters_converged) fails if any edge still joins two labels.
-- Incremental by component: a run redoes the stored components of the records whose identity inputs
-- (edges, and the dates that rank a record in its cluster) changed, plus new records, and writes a
-- tombstone (null label, deleted by the post-hook) for each record that is gone. Exact, because an
-- edge that did not change joins two records of one stored component: every edge that touches a redone
-- record has both ends redone, so propagating over the redone records alone finds their components.
{%- set iterations = var('identity_label_iterations') %}

with

source_records as (
    select
        record_key,
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
    stored_clusters as (
        select
            record_key,
            cluster_label,
            {{ stored_column('identity_fingerprint', 'string') }} as identity_fingerprint
        from {{ this }}
    ),
{% endif %}

record_edges as (
    select
        record_key,
        anchor_record_key as neighbour_key,
        match_rule
    from edges
    union all
    select
        anchor_record_key,
        record_key,
        match_rule
    from edges
),

record_neighbours as (
    select
        record_key,
        {{ set_hash(['neighbour_key', 'match_rule']) }} as neighbours_hash
    from record_edges
    group by record_key
),

fingerprints as (
    select
        source_records.record_key,
        {{ row_hash([
            'record_neighbours.neighbours_hash',
            'source_records.first_loaded_date',
            'source_records.record_created_at'
        ]) }} as identity_fingerprint
    from source_records
    left join record_neighbours on source_records.record_key = record_neighbours.record_key
),

{% if is_incremental() %}
    changed_records as (
        select coalesce(fingerprints.record_key, stored_clusters.record_key) as record_key
        from fingerprints
        full outer join stored_clusters on fingerprints.record_key = stored_clusters.record_key
        where fingerprints.identity_fingerprint is distinct from stored_clusters.identity_fingerprint
    ),

    redone_records as (
        select stored_clusters.record_key
        from stored_clusters
        where stored_clusters.cluster_label in (
            select stored_changed.cluster_label
            from stored_clusters as stored_changed
            inner join changed_records on stored_changed.record_key = changed_records.record_key
        )
        union
        select record_key from changed_records
    ),
{% endif %}

graph_records as (
    select record_key from source_records
    {% if is_incremental() %}
        where record_key in (select redone_records.record_key from redone_records)
    {% endif %}
),

neighbours as (
    select
        record_key,
        record_key as neighbour_key
    from graph_records
    union all
    select
        record_key,
        neighbour_key
    from record_edges
    {% if is_incremental() %}
        where record_key in (select graph_records.record_key from graph_records)
    {% endif %}
),

labels_0 as (
    select
        record_key,
        record_key as cluster_label
    from graph_records
),

{% for i in range(1, iterations + 1) %}
    labels_{{ i }} as (
        select
            neighbours.record_key,
            min(previous.cluster_label) as cluster_label
        from neighbours
        inner join labels_{{ i - 1 }} as previous on neighbours.neighbour_key = previous.record_key
        group by neighbours.record_key
    ),

{% endfor %}
final as (
    select
        labels.record_key,
        labels.cluster_label,
        fingerprints.identity_fingerprint,
        {{ utc_now() }} as clustered_at
    from labels_{{ iterations }} as labels
    inner join fingerprints on labels.record_key = fingerprints.record_key
    {% if is_incremental() %}
        union all
        -- a record that is gone: a tombstone
        select
            redone_records.record_key,
            null as cluster_label,
            null as identity_fingerprint,
            {{ utc_now() }} as clustered_at
        from redone_records
        left join source_records on redone_records.record_key = source_records.record_key
        where source_records.record_key is null
    {% endif %}
)

select * from final
