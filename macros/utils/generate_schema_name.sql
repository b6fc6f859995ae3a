{#- Schemas are named by layer (staging, intermediate, core...) rather than prefixed with the
    target schema: the warehouse is one DuckDB file per target, so prefixes would only add noise. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
