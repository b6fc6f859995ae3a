{#- Three DOUBLE columns: an estimate as <name> and its normal-approximation interval (estimate -/+ z
    standard errors) as <name>_lower and <name>_upper, all null unless the condition holds (too small a
    sample gives no estimate at all rather than a misleading one). -#}
{% macro normal_interval_columns(estimate, standard_error, z, condition, name) -%}
    {{ return(adapter.dispatch('normal_interval_columns', 'customer360')(estimate, standard_error, z, condition, name)) }}
{%- endmacro %}

{% macro default__normal_interval_columns(estimate, standard_error, z, condition, name) -%}
    case when {{ condition }} then cast({{ estimate }} as double) end as {{ name }},
    case when {{ condition }} then cast(
        {{ estimate }} - {{ z }} * {{ standard_error }} as double
    ) end as {{ name }}_lower,
    case when {{ condition }} then cast(
        {{ estimate }} + {{ z }} * {{ standard_error }} as double
    ) end as {{ name }}_upper
{%- endmacro %}
