{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='append',
        pre_hook="{{ delete_changed_transitions() }}"
    )
}}
-- depends_on: {{ ref('int_customers__order_summary') }}
-- depends_on: {{ ref('int_customers__purchase_days') }}
-- depends_on: {{ ref('customer_id_merges') }}
-- One row per change of a customer's lifecycle stage between consecutive month ends of
-- customer_rfm_history (from_stage 'prospect' for the first month with a purchase).
-- Incremental by customer: a customer's transitions depend on their own history alone, so a run redoes
-- the customers whose history rows changed since the last run (lifecycle_transitions_work_list), each
-- from its first changed month, reading one month more for the stage before; the pre-hook deletes those
-- customers' rows of those months. A LAG over every customer of every reopened month instead read the
-- whole history on days a merge reopened its first months (15M rows, 10 s at 6 years and 1M customers).
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
    work_list as (
        {{ lifecycle_transitions_work_list() }}
    ),
{% endif %}

history_to_redo as (
    select
        history.customer_id,
        history.calendar_month_end_date,
        history.month_end_date,
        history.lifecycle_stage,
        history.history_processed_at,
        {% if is_incremental() %}
            work_list.first_changed_month_end_date
        {% else %}
            cast(null as date) as first_changed_month_end_date
        {% endif %}
    from history
    {% if is_incremental() %}
        inner join work_list
            on
                history.customer_id = work_list.customer_id
                and history.calendar_month_end_date
                >= {{ dbt.dateadd('month', -1, 'work_list.first_changed_month_end_date') }}
    {% endif %}
),

with_previous as (
    select
        customer_id,
        calendar_month_end_date,
        month_end_date,
        lifecycle_stage,
        history_processed_at,
        first_changed_month_end_date,
        lag(lifecycle_stage) over (partition by customer_id order by month_end_date) as previous_stage
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
        where calendar_month_end_date >= first_changed_month_end_date
    {% endif %}
)

-- stored month by month, for the reason given in customer_rfm_history
select * from final
order by calendar_month_end_date
