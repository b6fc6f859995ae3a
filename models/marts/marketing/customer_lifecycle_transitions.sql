-- One row per change of a customer's lifecycle stage between consecutive month ends of
-- customer_rfm_history (from_stage 'prospect' for the first month with a purchase).
with

history as (
    select
        customer_id,
        month_end_date,
        lifecycle_stage
    from {{ ref('customer_rfm_history') }}
),

with_previous as (
    select
        customer_id,
        month_end_date,
        lifecycle_stage,
        lag(lifecycle_stage) over (partition by customer_id order by month_end_date) as previous_stage
    from history
),

final as (
    select
        {{ surrogate_key(['customer_id', 'month_end_date']) }} as transition_id,
        customer_id,
        coalesce(previous_stage, 'prospect') as from_stage,
        lifecycle_stage as to_stage,
        month_end_date as transitioned_on_date
    from with_previous
    where previous_stage is null or previous_stage != lifecycle_stage
)

select * from final
