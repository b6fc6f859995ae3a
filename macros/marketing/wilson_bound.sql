{#- Lower or upper bound of the Wilson score interval of a proportion (successes of trials, normal
    quantile z). Unlike the Wald interval it stays inside [0, 1] and keeps its coverage when a group
    has few or no successes, which is the usual case for campaign responses. Null when trials is 0. -#}
{% macro wilson_bound(successes, trials, z, side) -%}
    {{ return(adapter.dispatch('wilson_bound', 'customer360')(successes, trials, z, side)) }}
{%- endmacro %}

{% macro default__wilson_bound(successes, trials, z, side) -%}
    {%- set sign = '-' if side == 'lower' else '+' -%}
    case when {{ trials }} > 0 then (
        (cast({{ successes }} as double) + {{ z }} * {{ z }} / 2)
        {{ sign }} {{ z }} * sqrt(
            cast({{ successes }} as double) * ({{ trials }} - {{ successes }}) / {{ trials }}
            + {{ z }} * {{ z }} / 4
        )
    ) / ({{ trials }} + {{ z }} * {{ z }}) end
{%- endmacro %}
