{#- Post-hook of an incremental model that marks each vanished key with a tombstone, a row of the key with
    a null in `column` (which no real row has): delete+insert on the key deletes the stored row, and this
    deletes the tombstones, inside the model's transaction, so no reader sees them. Nothing on a table
    (Spark, where the model is rebuilt whole and writes no tombstones). -#}
{% macro delete_tombstone_rows(column) -%}
    {%- if model.config.materialized == 'incremental' -%}
        delete from {{ this }} where {{ column }} is null
    {%- endif -%}
{%- endmacro %}
