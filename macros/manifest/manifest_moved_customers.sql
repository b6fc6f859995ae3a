{#- SQL for the customers (customer_id) who gained or lost source records since the calling model last
    recorded its progress (manifest_record_downstream_progress): both sides of a customer_identity_snapshot
    row begun or ended since (a merge, a split, a record new, gone or erased). A model keyed by customer
    redoes them. Every customer of the snapshot when the model has recorded no run. -#}
{% macro manifest_moved_customers() -%}
    select distinct identity_history.customer_id
    from {{ ref('customer_identity_snapshot') }} as identity_history
    cross join ({{ manifest_last_run("timestamp '0001-01-01'") }}) as last_run
    where
        identity_history.customer_id is not null
        and (
            identity_history.dbt_valid_from > last_run.processed_at
            or identity_history.dbt_valid_to > last_run.processed_at
        )
{%- endmacro %}
