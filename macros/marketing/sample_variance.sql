{#- Sample variance (n - 1 denominator) from a group's count, total and sum of squares, null below two
    rows. Given exact (integer or decimal) sums it is the same in every build: var_samp adds doubles in
    the order DuckDB's threads meet the rows, and its last bits differed between two builds of the same
    data. -#}
{% macro sample_variance(total, sum_of_squares, n) -%}
    {{ return(adapter.dispatch('sample_variance', 'customer360')(total, sum_of_squares, n)) }}
{%- endmacro %}

{% macro default__sample_variance(total, sum_of_squares, n) -%}
    ({{ n }} * {{ sum_of_squares }} - {{ total }} * {{ total }}) / nullif(cast({{ n }} as double) * ({{ n }} - 1), 0)
{%- endmacro %}
