{#- For models derived month by month from customer_rfm_history and keeping its history_processed_at:
    the first calendar month whose history rows were computed again (or that the model lacks) since the
    model last ran, as a scalar subquery (null when no month changed). customer_rfm_history reopens every
    month from a late order's month to the latest, so the months from this one on are what a run redoes.
    A month can also change by losing a row, which no newer history_processed_at shows. A model of counts
    (customer_lifecycle_monthly) gives `stored_customers`, the aggregate of its stored rows that counts a
    month's customers, compared with the history's rows. A model keyed by customer
    (customer_lifecycle_transitions) redoes the months the totals reopened since it last ran
    (monthly_totals_reopening_days: a customer's vanished first day) and looks for its customers left
    without purchase days (vanished_customers_first_month). Deleting the months from the answer on (delete_changed_history_months)
    leaves the answer unchanged (they are then missing), so the pre-hook and the model body agree on it. -#}
{% macro first_changed_history_month(history, stored, stored_customers=none) -%}
    {%- set vanished_from = vanished_customers_first_month(false) if stored_customers is none else none -%}
    (
        select min(changed_months.calendar_month_end_date)
        from (
            select history_months.calendar_month_end_date
            from (
                select
                    calendar_month_end_date,
                    max(history_processed_at) as history_processed_at,
                    count(*) as customers
                from {{ history }}
                group by calendar_month_end_date
            ) as history_months
            left join (
                select
                    calendar_month_end_date,
                    max(history_processed_at) as history_processed_at,
                    {{ stored_customers or 'null' }} as customers
                from {{ stored }}
                group by calendar_month_end_date
            ) as stored_months
                on history_months.calendar_month_end_date = stored_months.calendar_month_end_date
            where
                stored_months.history_processed_at is null
                or history_months.history_processed_at > stored_months.history_processed_at
                {%- if stored_customers %}
                or history_months.customers <> stored_months.customers
                {%- endif %}
            {%- if not stored_customers %}
            union all
            -- a month whose only change is a lost row (a customer's vanished first day) is one the totals
            -- reopened since the model last ran
            select {{ month_end('min(reopening_days.purchase_date)') }}
            from (
                {{ monthly_totals_reopening_days(
                    ref('int_customers__purchase_days'), ref('customer_id_merges'), 'history_processed_at'
                ) }}
            ) as reopening_days
            {%- endif %}
            {%- if vanished_from is not none %}
            union all
            select {{ sql_date(vanished_from) }}
            {%- endif %}
        ) as changed_months
    )
{%- endmacro %}
