{#- Strip control characters (strip_control_characters), trim, collapse inner whitespace, and turn
    empty strings into null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ regexp_replace_all(strip_control_characters(column), '\\s+', ' ') }}), '')
{%- endmacro %}
