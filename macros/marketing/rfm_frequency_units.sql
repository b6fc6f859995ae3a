{#- What one purchase day adds to the RFM frequency, from its count of non-refund orders: the orders
    (var rfm_frequency_unit = 'orders') or 1 for a day with any (= 'purchase_days', the BTYD unit, where
    a basket split over two tills or a re-placed order is still one purchase occasion). -#}
{% macro rfm_frequency_units(order_count) -%}
    {%- if rfm_conventions()['frequency_unit'] == 'purchase_days' -%}
        case when {{ order_count }} > 0 then 1 else 0 end
    {%- else -%}
        {{ order_count }}
    {%- endif -%}
{%- endmacro %}
