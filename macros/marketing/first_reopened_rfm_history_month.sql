{#- customer_rfm_history's first reopened month on an incremental run, as a scalar subquery: the
    earlier of the first month whose int_customers__monthly_totals rows were rewritten since the
    history last ran (moved as-of dates included) and the month of the earliest purchase day the
    totals reopened since then (monthly_totals_reopening_days against the history's own run time). The
    second catches months whose only change is a vanished row (a purchase day turned refund-only, an id
    merged away), which the totals deleted without writing a row there. Null when nothing changed.
    Used by the model and by its pre-hook, which must agree. -#}
{% macro first_reopened_rfm_history_month() -%}
    (
        select min(reopened.calendar_month_end_date)
        from (
            select calendar_month_end_date from {{ ref('int_customers__monthly_totals') }}
            where processed_at > (select max(history_processed_at) from {{ this }})
            union all
            select {{ month_end('min(reopening_days.purchase_date)') }}
            from (
                {{ monthly_totals_reopening_days(
                    ref('int_customers__purchase_days'), ref('customer_id_merges'), 'history_processed_at'
                ) }}
            ) as reopening_days
        ) as reopened
    )
{%- endmacro %}
