{#- SQL for the keys an incremental model redoes when it stores, on each row, a fingerprint of exactly the
    inputs the row is computed from: keys whose fingerprint is new or changed, and stored keys no longer
    computed (with a null fingerprint: the model writes their tombstone, see delete_tombstone_rows). On a
    full refresh, and on a table (Spark), every computed key. `columns`: more columns of `computed` to
    carry along (null for a gone key). -#}
{% macro fingerprint_changes(computed, stored, key, fingerprint, columns=[]) -%}
    {%- if is_incremental() %}
    select
        coalesce({{ computed }}.{{ key }}, {{ stored }}.{{ key }}) as {{ key }},
        {%- for column in columns %}
        {{ computed }}.{{ column }},
        {%- endfor %}
        {{ computed }}.{{ fingerprint }}
    from {{ computed }}
    full outer join {{ stored }} on {{ computed }}.{{ key }} = {{ stored }}.{{ key }}
    where {{ computed }}.{{ fingerprint }} is distinct from {{ stored }}.{{ fingerprint }}
    {%- else %}
    select
        {{ key }},
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        {{ fingerprint }}
    from {{ computed }}
    {%- endif %}
{%- endmacro %}
