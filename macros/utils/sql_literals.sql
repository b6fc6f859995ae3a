{#- A date value as a SQL literal (null for none). -#}
{% macro sql_date(value) -%}
    {{ "date '" ~ value ~ "'" if value is not none else 'cast(null as date)' }}
{%- endmacro %}

{#- A text value as a SQL string literal (a quote in it is doubled). -#}
{% macro sql_string(value) -%}
    {{ "'" ~ (value | string | replace("'", "''")) ~ "'" }}
{%- endmacro %}

{#- A list of SQL literals as the right side of IN; "(null)" matches nothing. After NOT IN it matches
    nothing either (x not in (null) is unknown), so a caller leaves the NOT IN out for an empty list. -#}
{% macro sql_in_list(literals) -%}
    ({{ literals | join(', ') if literals else 'null' }})
{%- endmacro %}
