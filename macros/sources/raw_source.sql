{#- The relation to read a raw table from. When the table is switched off or absent it returns
    an empty relation with the contract's columns (declared with data_type in the sources YAML),
    so every downstream model still builds, as Fivetran's source packages do.
    source() is always called so lineage and docs keep the edge. -#}
{% macro raw_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {#- A unit test mocks the source itself, so it always gets the relation. -#}
    {%- if not execute or model.resource_type == 'unit_test' or source_is_available(source_name, table_name) -%}
        {{ relation }}
    {%- else -%}
        {%- set node = graph.sources['source.customer360.' ~ source_name ~ '.' ~ table_name] -%}
        (
            select
            {%- for column in node.columns.values() %}
                cast(null as {{ column.data_type }}) as {{ column.name }},
            {%- endfor %}
                cast(null as date) as load_date,
                cast(null as varchar) as filename
            where 1 = 0
        )
    {%- endif -%}
{%- endmacro %}
