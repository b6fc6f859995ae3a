{#- SQL for the source records (source_name, source_record_id) whose customer changed since the calling
    model last recorded its progress (manifest_record_downstream_progress): a customer_identity_snapshot
    row begun or ended since, from a merge, a split, or a record new or gone. A model that resolves
    source rows to customers redoes the rows of these records. -#}
{% macro manifest_moved_records() -%}
    select distinct
        identity_history.source_name,
        identity_history.source_record_id
    from {{ ref('customer_identity_snapshot') }} as identity_history
    cross join ({{ manifest_last_run() }}) as last_run
    where
        identity_history.dbt_valid_from > last_run.processed_at
        or identity_history.dbt_valid_to > last_run.processed_at
{%- endmacro %}
