{#- Pre-hook of customer_rfm_history: on an incremental run, delete the rows the run recomputes for
    the customers whose days changed (their reopened months: a row they no longer have, such as a
    month before a first purchase that moved, must not stay) and every row of customer ids merged
    away by identity resolution since the last run. The model writes row by row, so rows it does not
    write otherwise stay. -#}
{% macro delete_reopened_history_rows() -%}
    {%- if is_incremental() -%}
        with reopening_days as (
            {{ history_reopening_days(ref('customer_purchase_days'), ref('customer_id_merges')) }}
        )

        delete from {{ this }}
        where
            customer_id in (
                select old_customer_id from {{ ref('customer_id_merges') }}
                where
                    merged_at > (select max(history_processed_at) from {{ this }})
                    and old_customer_id not in (select customer_id from {{ ref('bridge_customer_identity') }})
            )
            or (
                customer_id in (select reopening_days.customer_id from reopening_days)
                and calendar_month_end_date >= (
                    select {{ month_end('min(reopening_days.purchase_date)') }} from reopening_days
                )
            )
    {%- endif -%}
{%- endmacro %}
