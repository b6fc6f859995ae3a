{#- Why an order line cannot be used, or null: it needs its own id, its order, a non-zero quantity and a price. -#}
{% macro line_quarantine_reason(id_column, parent_id_column, quantity_column, price_column) -%}
    case
        when {{ id_column }} is null then 'missing_key'
        when {{ parent_id_column }} is null then 'missing_parent_key'
        when {{ quantity_column }} is null or {{ quantity_column }} = 0 then 'zero_quantity'
        when {{ price_column }} is null or {{ price_column }} < 0 then 'invalid_unit_price'
    end
{%- endmacro %}
