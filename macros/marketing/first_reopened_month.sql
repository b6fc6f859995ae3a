{#- The first month a monthly model derived from monthly totals redoes on an incremental run, as a scalar
    subquery: the earlier of the first month whose totals rows were rewritten since the model last ran
    (moved as-of dates included) and the month of the earliest purchase day reopened since then
    (monthly_totals_reopening_days against the model's own run time). The second catches months whose
    only change is a vanished row (a purchase day turned refund-only, an id merged away), which the
    totals deleted without writing a row there. Third, the first month of a customer left without purchase
    days (vanished_customers_first_month), whose rows no totals row replaces. Null when nothing changed.
    Used by int_customers__monthly_totals (on the running totals) and customer_rfm_history (on the monthly
    totals), each in its body and its pre-hook, which must agree. -#}
{% macro first_reopened_month(totals, processed_at_column) -%}
    {%- set vanished_from = vanished_customers_first_month() -%}
    (
        select min(reopened.calendar_month_end_date)
        from (
            select totals.calendar_month_end_date from {{ totals }} as totals
            where totals.processed_at > (select max({{ processed_at_column }}) from {{ this }})
            union all
            select {{ month_end('min(reopening_days.purchase_date)') }}
            from (
                {{ monthly_totals_reopening_days(
                    ref('int_customers__purchase_days'), ref('customer_id_merges'), processed_at_column
                ) }}
            ) as reopening_days
            {%- if vanished_from is not none %}
            union all
            select {{ sql_date(vanished_from) }}
            {%- endif %}
        ) as reopened
    )
{%- endmacro %}
