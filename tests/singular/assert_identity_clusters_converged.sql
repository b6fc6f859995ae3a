-- Label propagation converged: no identity edge joins records with different cluster labels.
-- If this fails, raise var('identity_label_iterations').
with

edges as (
    select record_key, anchor_record_key from {{ ref('int_identity__edges') }}
),

clusters as (
    select record_key, cluster_label from {{ ref('int_identity__clusters') }}
)

select
    edges.record_key,
    edges.anchor_record_key,
    record_cluster.cluster_label as record_label,
    anchor_cluster.cluster_label as anchor_label
from edges
inner join clusters as record_cluster on edges.record_key = record_cluster.record_key
inner join clusters as anchor_cluster on edges.anchor_record_key = anchor_cluster.record_key
where record_cluster.cluster_label != anchor_cluster.cluster_label
