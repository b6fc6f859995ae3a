{#- A person's name (part) as people write it (name_case), null when missing or a placeholder (Test, xxx, n/a). -#}
{% macro name_column(cleaned_name) -%}
    case when not {{ is_placeholder(cleaned_name, 'name') }} then {{ name_case(cleaned_name) }} end
{%- endmacro %}
