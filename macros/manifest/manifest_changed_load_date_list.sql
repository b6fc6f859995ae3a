{#- The load dates of manifest_changed_load_dates as SQL date literals, asked of the warehouse when the
    model runs (as a base model's work list is), so that they reach the scans under a staging view as
    literals: a subquery in their place would not be pushed down, and every row would be read. -#}
{% macro manifest_changed_load_date_list() -%}
    {%- set changed_dates = [] -%}
    {%- if execute -%}
        {%- for row in run_query(manifest_changed_load_dates()).rows -%}
            {%- do changed_dates.append(sql_date(row[0])) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(changed_dates) }}
{%- endmacro %}
