{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='append',
        pre_hook="{{ delete_changed_history_months() }}"
    )
}}
-- depends_on: {{ ref('int_customers__order_summary') }}
-- depends_on: {{ ref('int_customers__purchase_days') }}
-- depends_on: {{ ref('customer_id_merges') }}
-- One row per change of a customer's lifecycle stage between consecutive month ends of
-- customer_rfm_history (from_stage 'prospect' for the first month with a purchase).
-- Incremental by month: the months customer_rfm_history computed again since the last run are
-- deleted by the pre-hook and redone here, reading one month more for the stage before.
with

history as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        lifecycle_stage,
        history_processed_at
    from {{ ref('customer_rfm_history') }}
),

{% if is_incremental() %}
    stored_transitions as (
        select
            calendar_month_end_date,
            history_processed_at
        from {{ this }}
    ),

    first_changed_month as (
        select {{ first_changed_history_month('history', 'stored_transitions') }} as calendar_month_end_date
    ),
{% endif %}

history_to_redo as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        lifecycle_stage,
        history_processed_at
    from history
    {% if is_incremental() %}
        where calendar_month_end_date >= (
            select {{ dbt.dateadd('month', -1, 'calendar_month_end_date') }} from first_changed_month
        )
    {% endif %}
),

with_previous as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        lifecycle_stage,
        history_processed_at,
        lag(lifecycle_stage) over (partition by customer_id order by month_end_date) as previous_stage,
        lag(calendar_month_end_date) over (partition by customer_id order by month_end_date) as previous_month
    from history_to_redo
),

changes as (
    select *
    from with_previous
    where previous_stage is null or previous_stage != lifecycle_stage
),

final as (
    select
        {{ surrogate_key(['customer_id', 'month_end_date']) }} as transition_id,
        customer_id,
        coalesce(previous_stage, 'prospect') as from_stage,
        lifecycle_stage as to_stage,
        month_end_date as transitioned_on_date,
        calendar_month_end_date,
        history_processed_at
    from changes
    {% if is_incremental() %}
        -- the month before was read for its stage only
        where calendar_month_end_date >= (select calendar_month_end_date from first_changed_month)
    {% endif %}
)

-- stored month by month, for the reason given in customer_rfm_history
select * from final
order by calendar_month_end_date
