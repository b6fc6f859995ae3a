{#- Pre-hook of customer_rfm_history: on an incremental run, delete the rows of the months the run
    ranks again (first_reopened_rfm_history_month) that no longer have totals: customer ids merged
    away, months whose only purchase vanished. The model writes row by row, so such rows would otherwise stay. -#}
{% macro delete_vanished_rfm_history_rows() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            calendar_month_end_date >= {{ first_reopened_rfm_history_month() }}
            and not exists (
                select 1 from {{ ref('int_customers__monthly_totals') }} as totals
                where
                    totals.customer_id = {{ this }}.customer_id
                    and totals.calendar_month_end_date = {{ this }}.calendar_month_end_date
            )
    {%- endif -%}
{%- endmacro %}
