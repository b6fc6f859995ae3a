{#- Pre-hook of customer_lifecycle_monthly (counts derived month by month from customer_rfm_history): on an
    incremental run, delete the months the run redoes, so a row the new history no longer gives does not
    stay. `stored_customers` as in first_changed_history_month. -#}
{% macro delete_changed_history_months(stored_customers) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where calendar_month_end_date >= {{ first_changed_history_month(
            ref('customer_rfm_history'), this, stored_customers
        ) }}
    {%- endif -%}
{%- endmacro %}
