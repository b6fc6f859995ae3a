{#- Pre-hook of audience_membership_history: on an incremental run, delete every row of customers
    who are now erased. Which audiences a person was in is profiling data that an erasure request
    covers; with their rows gone the person simply never was a member, so no 'left' row is written. -#}
{% macro delete_erased_audience_history(history_relation, customers_relation) -%}
    {%- if is_incremental() -%}
        delete from {{ history_relation }}
        where customer_id in (select customer_id from {{ customers_relation }} where is_erased)
    {%- endif -%}
{%- endmacro %}
