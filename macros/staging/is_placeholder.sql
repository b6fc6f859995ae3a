{#- True when a cleaned value is one of the placeholder_values seed's entries for that field
    (the model declares the import CTE `placeholders`). Phones compare on their digits. -#}
{% macro is_placeholder(expression, field) -%}
    coalesce(lower({{ expression }}) in (
        select placeholders.placeholder_value from placeholders where placeholders.field = '{{ field }}'
    ), false)
{%- endmacro %}
