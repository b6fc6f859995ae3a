{#- SQL for the customers (customer_id) an incremental model keyed by customer redoes, given its input
    `relation` (a fact with customer_id and processed_at) and the column `mark_column` of its own rows that
    keeps the newest processed_at of the input its last writing run saw: the customers of input rows
    written since (new, late, changed, or moved to another customer) and those who gained or lost records
    (manifest_moved_customers). A table from before the mark column redoes every customer once. When a
    file the model processed was withdrawn or redelivered since (manifest_processed_files_changed), the
    rows that vanished with it leave no trace of their customers: then every customer, stored or with an
    input row matching `counted`. -#}
{% macro manifest_touched_customers(relation, mark_column, counted='true') -%}
    {%- if manifest_processed_files_changed() %}
    select every_row.customer_id
    from {{ relation }} as every_row
    where every_row.customer_id is not null and {{ counted }}
    union
    select stored.customer_id
    from {{ this }} as stored
    {%- else %}
    select written.customer_id
    from {{ relation }} as written
    cross join (
        select coalesce(max({{ stored_column(mark_column, 'timestamp') }}), timestamp '0001-01-01') as mark
        from {{ this }}
    ) as last_run
    where written.customer_id is not null and written.processed_at > last_run.mark
    union
    {{ manifest_moved_customers() }}
    {%- endif %}
{%- endmacro %}
