{#- For models derived month by month from customer_rfm_history and keeping its history_processed_at:
    the first calendar month whose history rows were computed again (or that the model lacks) since the
    model last ran, as a scalar subquery (null when no month changed). customer_rfm_history reopens every
    month from a late order's month to the latest, so the months from this one on are what a run redoes.
    Deleting them from the model (delete_changed_history_months) leaves the answer unchanged (they are then
    missing), so the pre-hook and the model body agree on it. -#}
{% macro first_changed_history_month(history, stored) -%}
    (
        select min(history_months.calendar_month_end_date)
        from (
            select
                calendar_month_end_date,
                max(history_processed_at) as history_processed_at
            from {{ history }}
            group by calendar_month_end_date
        ) as history_months
        left join (
            select
                calendar_month_end_date,
                max(history_processed_at) as history_processed_at
            from {{ stored }}
            group by calendar_month_end_date
        ) as stored_months
            on history_months.calendar_month_end_date = stored_months.calendar_month_end_date
        where
            stored_months.history_processed_at is null
            or history_months.history_processed_at > stored_months.history_processed_at
    )
{%- endmacro %}
