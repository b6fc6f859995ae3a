{#- Standard normal CDF of a numeric SQL expression. DuckDB has no erf, so this is Abramowitz and
    Stegun 7.1.26 (|error of erf| < 1.5e-7): Phi(z) = (1 + sign(z) erf(|z| / sqrt 2)) / 2. The
    expression is repeated, so pass a column or a cheap expression. -#}
{% macro normal_cdf(z) -%}
    {{ return(adapter.dispatch('normal_cdf', 'customer360')(z)) }}
{%- endmacro %}

{% macro default__normal_cdf(z) -%}
    (0.5 * (1 + sign({{ z }}) * (1 - (
        (1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)))
        * (0.254829592 + (1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)))
        * (-0.284496736 + (1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)))
        * (1.421413741 + (1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2)))
        * (-1.453152027 + (1 / (1 + 0.3275911 * abs({{ z }}) / sqrt(2))) * 1.061405429))))
    ) * exp(-({{ z }}) * ({{ z }}) / 2))))
{%- endmacro %}
