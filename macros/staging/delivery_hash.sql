{#- A 64-bit hash of a raw row's delivered values (its contract columns as read, before cleaning), which
    delivery_fates ranks identical copies by, so that the values need not travel with every row: a number,
    not row_hash's text, since every row of a base model carries it until the fates are known. -#}
{% macro delivery_hash(columns) -%}
    {{ return(adapter.dispatch('delivery_hash', 'customer360')(columns)) }}
{%- endmacro %}

{% macro default__delivery_hash(columns) -%}
    {{ row_hash(columns) }}
{%- endmacro %}

{% macro duckdb__delivery_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__delivery_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}
