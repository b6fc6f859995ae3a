{#- Pre-hook of the monthly models derived from monthly totals (int_customers__monthly_totals,
    customer_rfm_history): on an incremental run, delete the rows of the months the run redoes
    (first_reopened_month) that no longer have a totals row: customer ids merged away, months whose only
    purchase vanished. The models write row by row, so such rows would otherwise stay. totals_filter
    narrows the totals rows that count (the running totals hold months before a first purchase too). -#}
{% macro delete_vanished_monthly_rows(totals, processed_at_column, totals_filter='true') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            calendar_month_end_date >= {{ first_reopened_month(totals, processed_at_column) }}
            and not exists (
                select 1 from {{ totals }} as totals
                where
                    totals.customer_id = {{ this }}.customer_id
                    and totals.calendar_month_end_date = {{ this }}.calendar_month_end_date
                    and {{ totals_filter }}
            )
    {%- endif -%}
{%- endmacro %}
