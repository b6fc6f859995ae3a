{#- 'conflicting_values_in_load' for every row whose key was delivered more than once in the SAME
    load (same load_date, any file) with different values, else null. Unlike a later delivery (a
    correction, see row_status), nothing orders the rows of one load, so keeping one would be arbitrary:
    every such row is quarantined and the key keeps its version from earlier loads, if any. Identical
    copies are not a conflict (they stay `duplicate`), nor are rows that differ only in noise staging
    cleans away: `value_columns` are the model's cleaned values, compared by row_hash(). -#}
{% macro conflicting_values_reason(key_columns, value_columns, load_date='load_date') -%}
    {%- set partition = key_columns | list + [load_date] -%}
    case
        when
            {%- for column in key_columns %}
            {{ column }} is not null and
            {%- endfor %}
            min({{ row_hash(value_columns) }}) over (partition by {{ partition | join(', ') }})
            != max({{ row_hash(value_columns) }}) over (partition by {{ partition | join(', ') }})
            then 'conflicting_values_in_load'
    end
{%- endmacro %}
