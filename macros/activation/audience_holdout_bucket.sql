{#- A number 0-9999 from the md5 of customer and audience: the same customer lands in the same bucket
    of an audience at every build (holdouts stay holdouts), and independently across audiences.
    md5 rather than the engine's hash(), whose values change between engine versions. -#}
{% macro audience_holdout_bucket(customer_id, audience_name) -%}
    {{ return(adapter.dispatch('audience_holdout_bucket', 'customer360')(customer_id, audience_name)) }}
{%- endmacro %}

{% macro duckdb__audience_holdout_bucket(customer_id, audience_name) -%}
    (cast(('0x' || substr(md5({{ customer_id }} || '|' || {{ audience_name }}), 1, 8)) as bigint) % 10000)
{%- endmacro %}

{% macro default__audience_holdout_bucket(customer_id, audience_name) -%}
    (cast(conv(substr(md5(concat({{ customer_id }}, '|', {{ audience_name }})), 1, 8), 16, 10) as bigint) % 10000)
{%- endmacro %}
