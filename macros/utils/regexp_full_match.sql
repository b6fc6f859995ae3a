{#- True when the whole string matches the pattern; null stays null. -#}
{% macro regexp_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'customer360')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike concat('^(', {{ pattern }}, ')$'))
{%- endmacro %}

{% macro duckdb__regexp_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, {{ pattern }})
{%- endmacro %}

{#- Spark reads a backslash in a string literal as an escape ('\.' is '.'): the pattern literal's
    backslashes are doubled so the regular expression gets them as DuckDB does. -#}
{% macro spark__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike concat('^(', {{ pattern | replace('\\', '\\\\') }}, ')$'))
{%- endmacro %}
