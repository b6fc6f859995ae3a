{#- A SQL type name of the raw contract (the sources YAML's data_type: varchar, double, bigint, boolean,
    date) as this engine writes it in a cast. The contract keeps DuckDB's names because preflight
    (scripts/preflight.py) checks the files against them. -#}
{% macro sql_type(data_type) -%}
    {{ return(adapter.dispatch('sql_type', 'customer360')(data_type)) }}
{%- endmacro %}

{% macro default__sql_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{#- Spark accepts varchar only with a length (varchar(n)), and then pads nothing but checks lengths:
    its unbounded text type is string. -#}
{% macro spark__sql_type(data_type) -%}
    {{ return('string' if data_type | lower == 'varchar' else data_type) }}
{%- endmacro %}
