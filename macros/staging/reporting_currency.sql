{#- The currency every amount of the warehouse is reported in (var reporting_currency, default EUR):
    staging converts other currencies with seeds/currency_rates_monthly.csv. -#}
{% macro reporting_currency() -%}
    {{ return(var('reporting_currency', 'EUR') | upper) }}
{%- endmacro %}
