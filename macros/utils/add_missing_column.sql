{#- A pre-hook for an incremental model whose on_schema_change must stay `fail` (the base models: a
    contract column added later must not leave nulls on stored rows whose files hold values) but which
    gained a bookkeeping column: on an incremental run, a stored table that lacks `column` gets it, null on
    its rows, before dbt compares the schemas. Runs the adapter's own ALTER; renders no SQL. -#}
{% macro add_missing_column(column, data_type) -%}
    {%- if execute and is_incremental() -%}
        {%- set relation = load_relation(this) -%}
        {%- set stored = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if column | lower not in stored -%}
            {%- do log(relation ~ ' gains ' ~ column ~ ', null on its stored rows', info=true) -%}
            {%- do alter_relation_add_remove_columns(relation, [api.Column.create(column, data_type)], none) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
