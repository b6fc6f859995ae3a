{#- SQL for what an incremental run writes to make stored rows equal recomputed ones: the rows of `new`
    that differ from the row of `stored` with the same key (or have none), and a tombstone (the key, nulls
    in every other column; delete_tombstone_rows removes it) for each row of `stored` that `new` lacks.
    `stored` holds the stored rows the recomputed ones may replace; rows equal on every column are left. -#}
{% macro changed_rows(new, stored, key, columns) -%}
    select
        coalesce({{ new }}.{{ key }}, {{ stored }}.{{ key }}) as {{ key }},
        {%- for column in columns %}
        {{ new }}.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ new }}
    full outer join {{ stored }} on {{ new }}.{{ key }} = {{ stored }}.{{ key }}
    where
        {%- for column in columns %}
        {{ new }}.{{ column }} is distinct from {{ stored }}.{{ column }}{{ ' or' if not loop.last }}
        {%- endfor %}
{%- endmacro %}
