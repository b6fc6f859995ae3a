{#- Trim, collapse inner whitespace, and turn empty strings into null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ regexp_replace_all(column, '\\s+', ' ') }}), '')
{%- endmacro %}
