{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='append',
        pre_hook="{{ delete_changed_history_months('sum(customers)') }}"
    )
}}
-- One row per calendar month and lifecycle stage (of customers who had bought by the month end):
-- customers in the stage at the month end, their share, and how many entered the stage that month.
-- The monthly stage counts of the report. Incremental by month, like customer_lifecycle_transitions.
{% set stages = ['new', 'active', 'reactivated', 'at_risk', 'lapsed', 'churned'] %}
with

history as (
    select
        calendar_month_end_date,
        month_end_date,
        lifecycle_stage,
        history_processed_at
    from {{ ref('customer_rfm_history') }}
),

transitions as (
    select
        calendar_month_end_date,
        to_stage
    from {{ ref('customer_lifecycle_transitions') }}
),

{% if is_incremental() %}
    stored_months as (
        select
            calendar_month_end_date,
            customers,
            history_processed_at
        from {{ this }}
    ),

    first_changed_month as (
        select
            {{ first_changed_history_month('history', 'stored_months', 'sum(customers)') }}
                as calendar_month_end_date
    ),
{% endif %}

history_to_redo as (
    select
        calendar_month_end_date,
        month_end_date,
        lifecycle_stage,
        history_processed_at
    from history
    {% if is_incremental() %}
        where calendar_month_end_date >= (select calendar_month_end_date from first_changed_month)
    {% endif %}
),

transitions_to_redo as (
    select
        calendar_month_end_date,
        to_stage
    from transitions
    {% if is_incremental() %}
        where calendar_month_end_date >= (select calendar_month_end_date from first_changed_month)
    {% endif %}
),

months as (
    select
        calendar_month_end_date,
        max(month_end_date) as month_end_date,
        max(history_processed_at) as history_processed_at,
        count(*) as month_customers
    from history_to_redo
    group by calendar_month_end_date
),

stages as (
    {% for stage in stages %}
        select '{{ stage }}' as lifecycle_stage
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

stage_counts as (
    select
        calendar_month_end_date,
        lifecycle_stage,
        count(*) as customers
    from history_to_redo
    group by calendar_month_end_date, lifecycle_stage
),

entries as (
    select
        calendar_month_end_date,
        to_stage as lifecycle_stage,
        count(*) as entered_customers
    from transitions_to_redo
    group by calendar_month_end_date, to_stage
),

final as (
    select
        {{ surrogate_key(['months.calendar_month_end_date', 'stages.lifecycle_stage']) }} as stage_month_id,
        months.calendar_month_end_date,
        months.month_end_date,
        stages.lifecycle_stage,
        coalesce(stage_counts.customers, 0) as customers,
        cast(coalesce(stage_counts.customers, 0) as double) / months.month_customers as share_of_customers,
        coalesce(entries.entered_customers, 0) as entered_customers,
        months.history_processed_at
    from months
    cross join stages
    left join stage_counts
        on
            months.calendar_month_end_date = stage_counts.calendar_month_end_date
            and stages.lifecycle_stage = stage_counts.lifecycle_stage
    left join entries
        on
            months.calendar_month_end_date = entries.calendar_month_end_date
            and stages.lifecycle_stage = entries.lifecycle_stage
)

-- stored month by month, for the reason given in customer_rfm_history
select * from final
order by calendar_month_end_date
