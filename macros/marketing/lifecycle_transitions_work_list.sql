{#- The customers an incremental customer_lifecycle_transitions run redoes, each from the first month
    whose stage may have changed (customer_id, first_changed_month_end_date), as a subquery: a customer's
    transitions depend on their own history rows alone, so only customers with rows customer_rfm_history
    computed again since the model last ran (late orders, merges, the current month's moving as-of date),
    or with a purchase day lost since (monthly_totals_reopening_days: the month the day was in lost its
    row, which no newer row shows), are redone. With `with_vanished`, also the customers left without
    purchase days (vanished_customers), from their first stored month: they have no history rows, so only
    the pre-hook needs them. The model's newest history_processed_at is read when dbt renders the body and
    when it renders the pre-hook, both before the pre-hook's delete, so the two lists agree. -#}
{% macro lifecycle_transitions_work_list(with_vanished=false) -%}
    {%- set seen = none -%}
    {%- if execute and is_incremental() -%}
        {%- set seen = run_query(
            'select cast(max(history_processed_at) as string) from ' ~ this
        ).columns[0].values()[0] -%}
    {%- endif -%}
    {#- an empty model (or one without a stamp) redoes every customer -#}
    {%- set since = 'cast(' ~ sql_string(seen or '0001-01-01') ~ ' as timestamp)' %}
    select
        customer_id,
        min(calendar_month_end_date) as first_changed_month_end_date
    from (
        select
            customer_id,
            calendar_month_end_date
        from {{ ref('customer_rfm_history') }}
        where history_processed_at > {{ since }}
        union all
        select
            customer_id,
            {{ month_end('purchase_date') }} as calendar_month_end_date
        from (
            {{ monthly_totals_reopening_days(
                ref('int_customers__purchase_days'), ref('customer_id_merges'), since=since
            ) }}
        ) as reopening_days
        {%- if with_vanished %}
            union all
            select
                customer_id,
                calendar_month_end_date
            from {{ this }}
            where customer_id in ({{ vanished_customers() }})
        {%- endif %}
    ) as changed_months
    group by customer_id
{%- endmacro %}

{#- Pre-hook of customer_lifecycle_transitions: on an incremental run, delete the rows of the months the run
    redoes for each customer it redoes (lifecycle_transitions_work_list), so that a transition the new
    history no longer gives does not stay; the model appends what it computes. -#}
{% macro delete_changed_transitions() -%}
    {%- if is_incremental() -%}
        {#- a join, not a correlated exists, as in delete_reopened_monthly_totals (6-year day 1, 884 rows
            counted read-only: 0.46-0.85 s against 0.33 s) -#}
        delete from {{ this }}
        using ({{ lifecycle_transitions_work_list(with_vanished=true) }}) as work_list
        where
            work_list.customer_id = {{ this }}.customer_id
            and {{ this }}.calendar_month_end_date >= work_list.first_changed_month_end_date
    {%- endif -%}
{%- endmacro %}
