{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_changed_history_months() }}"
    )
}}
{% if is_incremental() %}
    {% set first_changed_month = first_changed_history_month_literal() %}
{% endif %}
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
    {% if is_incremental() %}
        where calendar_month_end_date >= {{ dbt.dateadd('month', -1, first_changed_month) }}
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
    from history
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
        where calendar_month_end_date >= {{ first_changed_month }}
    {% endif %}
)

-- stored month by month, for the reason given in customer_rfm_history
select * from final
order by calendar_month_end_date
