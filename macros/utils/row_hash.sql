{#- A change-detection hash of several columns, as text: equal values give equal hashes, nulls
    included. On DuckDB its 64-bit hash() (md5 of the cast values costs 15 times more), on Spark
    xxhash64, elsewhere the md5 of surrogate_key. Compare hashes made by the same engine only. -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'customer360')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    {{ surrogate_key(columns) }}
{%- endmacro %}

{% macro duckdb__row_hash(columns) -%}
    cast(hash({{ columns | join(', ') }}) as string)
{%- endmacro %}

{% macro spark__row_hash(columns) -%}
    cast(xxhash64({{ columns | join(', ') }}) as string)
{%- endmacro %}
