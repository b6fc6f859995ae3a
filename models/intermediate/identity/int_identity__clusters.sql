-- One row per source record with the connected component (cluster) of the identity graph it
-- belongs to. Components are found by label propagation: every record starts with its own key as
-- label and takes the smallest label among itself and its neighbours, var('identity_label_iterations')
-- times, unrolled in Jinja so the SQL is plain joins and group-bys on any engine. A singular test
-- (assert_identity_clusters_converged) fails if any edge still joins two labels.
{%- set iterations = var('identity_label_iterations') %}

with

source_records as (
    select record_key from {{ ref('int_identity__source_records') }}
),

edges as (
    select
        record_key,
        anchor_record_key
    from {{ ref('int_identity__edges') }}
),

neighbours as (
    select
        record_key,
        record_key as neighbour_key
    from source_records
    union all
    select
        record_key,
        anchor_record_key
    from edges
    union all
    select
        anchor_record_key,
        record_key
    from edges
),

labels_0 as (
    select
        record_key,
        record_key as cluster_label
    from source_records
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
        record_key,
        cluster_label
    from labels_{{ iterations }}
)

select * from final
