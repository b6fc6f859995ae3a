{#- A person's name part in proper case, null when missing or a placeholder (Test, xxx, n/a). -#}
{% macro name_column(cleaned_name) -%}
    case when not {{ is_placeholder(cleaned_name, 'name') }} then {{ proper_case(cleaned_name) }} end
{%- endmacro %}
