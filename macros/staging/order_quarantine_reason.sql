{#- Why an order-like row (web order, till transaction) cannot be used, or null.
    A sale must not be negative and a refund must be negative: a wrongly signed amount is an export
    defect, not a business event, and would distort revenue and RFM. A sale of 0.00 (free item, full
    discount, replacement) is a purchase with zero spend, as lifetimes and pymc-marketing count it; a
    refund of 0.00 refunds nothing and stays quarantined. -#}
{% macro order_quarantine_reason(id_column, timestamp_column, type_column, amount_column) -%}
    case
        when {{ id_column }} is null then 'missing_key'
        when {{ timestamp_column }} is null then 'unparseable_timestamp'
        when {{ type_column }} is null or {{ type_column }} not in ('sale', 'refund') then 'invalid_order_type'
        when {{ amount_column }} is null then 'missing_amount'
        when {{ type_column }} = 'refund' and {{ amount_column }} = 0 then 'zero_amount'
        when {{ type_column }} = 'sale' and {{ amount_column }} < 0 then 'negative_sale_amount'
        when {{ type_column }} = 'refund' and {{ amount_column }} > 0 then 'positive_refund_amount'
    end
{%- endmacro %}
