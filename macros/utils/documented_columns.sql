{#- The columns of this model as its YAML documents them (every built column is: the hygiene test holds
    the two equal), in their order, without `exclude`. What a model recomputed whole compares with its
    stored rows (changed_rows), so a new column cannot be left out of the comparison. -#}
{% macro documented_columns(exclude=none) -%}
    {%- set columns = model.columns.keys() | reject('equalto', exclude) | list -%}
    {%- if execute and not columns -%}
        {{ exceptions.raise_compiler_error(model.name ~ ' has no documented columns to compare its stored rows by') }}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The select list of an incremental model's read of its own table ({{ this }}): each documented column,
    or a null under its name when the stored table predates it (a warehouse built by an older version):
    the rows then differ from the recomputed ones and are rewritten once, and
    on_schema_change='append_new_columns' adds the column. One catalog query, on incremental runs only. -#}
{% macro stored_documented_columns() -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list
        if execute else [] -%}
    {%- for column in documented_columns() %}
        {% if not execute or column | lower in stored %}{{ column }}{% else %}null as {{ column }}{% endif %}
        {{- ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- What a model that recomputes every row writes: on an incremental run the rows of CTE `new` that differ
    from CTE `stored` on a documented column, and tombstones of the stored keys `new` lacks (changed_rows);
    otherwise every row of `new`. -#}
{% macro recomputed_changes(new, stored, key) -%}
    {%- if is_incremental() -%}
        {{ changed_rows(new, stored, key, documented_columns(key)) }}
    {%- else -%}
        select * from {{ new }}
    {%- endif -%}
{%- endmacro %}
