{#- File paths as a comma-separated list of SQL string literals (a quote in a path is doubled). -#}
{% macro manifest_file_literals(files) -%}
    {%- set literals = [] -%}
    {%- for file in files -%}
        {%- do literals.append(sql_string(file)) -%}
    {%- endfor -%}
    {{ literals | join(', ') }}
{%- endmacro %}
