{#- A condition that is true when `model` may repeat a key of `columns` (or, with nulls_fail, has a key
    with a null column): a key test puts it in front of its exact grouped query, which then runs only
    for a table that may fail. Identical keys always share a hash, so no repeat is missed; two keys that
    merely share one cost the exact query, nothing else. Why: grouping 45M string keys costs a key test
    16-23 s at 1M customers, sorting their 64-bit hashes and comparing neighbours 4-5 s. -#}
{% macro key_repeat_gate(model, columns, where=none, nulls_fail=false) -%}
    {{ return(adapter.dispatch('key_repeat_gate', 'customer360')(model, columns, where, nulls_fail)) }}
{%- endmacro %}

{% macro default__key_repeat_gate(model, columns, where, nulls_fail) -%}
    exists (
        select 1
        from (
            select
                key_hash,
                lead(key_hash) over (order by key_hash) as next_key_hash
                {%- if nulls_fail %},
                has_null_column
                {%- endif %}
            from (
                select
                    hash({{ columns | join(', ') }}) as key_hash
                    {%- if nulls_fail %},
                    ({{ columns | join(' is null or ') }} is null) as has_null_column
                    {%- endif %}
                from {{ model }}
                {%- if where %}
                where {{ where }}
                {%- endif %}
            ) as key_hashes
        ) as neighbours
        where
            key_hash = next_key_hash
            {%- if nulls_fail %}
            or has_null_column
            {%- endif %}
    )
{%- endmacro %}

{#- Spark groups across its executors, while a sort over every key would run in one task: no gate. -#}
{% macro spark__key_repeat_gate(model, columns, where, nulls_fail) -%}
    true
{%- endmacro %}
