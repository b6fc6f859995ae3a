{#- Pre-hook of customer_rfm_history: on an incremental run, delete the rows of the months the run
    ranks again (from the first month whose int_customers__monthly_totals rows were rewritten since the
    history last ran) that no longer have totals: customer ids merged away, months before a first
    purchase that moved. The model writes row by row, so such rows would otherwise stay. -#}
{% macro delete_vanished_rfm_history_rows() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            calendar_month_end_date >= (
                select min(calendar_month_end_date) from {{ ref('int_customers__monthly_totals') }}
                where processed_at > (select max(history_processed_at) from {{ this }})
            )
            and not exists (
                select 1 from {{ ref('int_customers__monthly_totals') }} as totals
                where
                    totals.customer_id = {{ this }}.customer_id
                    and totals.calendar_month_end_date = {{ this }}.calendar_month_end_date
            )
    {%- endif -%}
{%- endmacro %}
