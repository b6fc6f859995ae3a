{#- The column `column` of this incremental model's stored table, or a typed null when the stored table
    predates the column (a warehouse built by an older version of the model): the model then sees every
    stored row as changed and redoes it, and on_schema_change='append_new_columns' adds the column. One
    catalog query, on incremental runs only. -#}
{% macro stored_column(column, data_type) -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
        if execute else [column | lower] -%}
    {%- if column | lower in stored -%}
        {{ column }}
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
