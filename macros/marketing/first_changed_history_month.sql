{#- For models derived month by month from customer_rfm_history and keeping its history_processed_at:
    the first calendar month whose history rows were computed again (or that this model lacks) since
    this model last ran. customer_rfm_history reopens every month from a late order's month to the
    latest, so the months from this one on are what a run redoes; a pre-hook deleting them leaves the
    answer unchanged (they are then missing), which is why it can be used in both. -#}
{% macro first_changed_history_month() -%}
    (
        select min(history_months.calendar_month_end_date)
        from (
            select
                calendar_month_end_date,
                max(history_processed_at) as history_processed_at
            from {{ ref('customer_rfm_history') }}
            group by calendar_month_end_date
        ) as history_months
        left join (
            select
                calendar_month_end_date,
                max(history_processed_at) as history_processed_at
            from {{ this }}
            group by calendar_month_end_date
        ) as processed_months
            on history_months.calendar_month_end_date = processed_months.calendar_month_end_date
        where
            processed_months.history_processed_at is null
            or history_months.history_processed_at > processed_months.history_processed_at
    )
{%- endmacro %}

{#- Pre-hook of those models: on an incremental run, delete the months the run redoes. -#}
{% macro delete_changed_history_months() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where calendar_month_end_date >= {{ first_changed_history_month() }}
    {%- endif -%}
{%- endmacro %}

{#- first_changed_history_month() asked of the warehouse when the model is compiled, as a date literal
    (null when no month changed): a filter on a literal lets DuckDB skip the history's earlier months,
    which are stored month by month. -#}
{% macro first_changed_history_month_literal() -%}
    {{ return(sql_date(run_query('select ' ~ first_changed_history_month()).columns[0].values()[0])) }}
{%- endmacro %}
