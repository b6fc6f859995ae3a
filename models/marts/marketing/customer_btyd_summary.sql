-- One row per customer with at least one purchase by the as-of date: the frequency / recency / T /
-- monetary_value summary of the buy-till-you-die (BG/NBD, Gamma-Gamma) literature, with the
-- conventions of lifetimes and pymc-marketing: purchases are non-refund orders grouped by UTC day;
-- frequency = purchase days after the first; recency = days from the first to the last purchase day;
-- T = days from the first purchase day to the as-of date; monetary_value = mean of the repeat
-- purchase days' summed net amounts (0 without repeat purchases).
-- A table rebuilt each run from the per-customer state of int_customers__order_summary (same as-of
-- date): T moves for every customer every day, so it is derived from the buyers' small rows, not from
-- their purchase days; customer_clv stores these columns with the scores made from them. Not a view: the
-- BI file holds the marts only, and a view would read int_ models there.
-- var('clv_calibration_end') is checked here, the last SQL model before customer_clv_fits uses it.
{%- do clv_calibration_end(ref('int_customers__order_summary'), 'last_purchase_date') %}
with

order_summary as (
    select
        customer_id,
        first_order_date,
        last_order_date,
        purchase_day_count,
        repeat_sales_amount
    from {{ ref('int_customers__order_summary') }}
),

as_of as (
    select {{ analytics_as_of_date(ref('int_customers__order_summary'), 'last_purchase_date') }} as as_of_date
),

final as (
    select
        order_summary.customer_id,
        as_of.as_of_date,
        order_summary.purchase_day_count - 1 as frequency,
        {{ days_between('order_summary.first_order_date', 'order_summary.last_order_date') }} as recency,
        -- the literature's name for the customer's age; upper case on purpose
        {{ days_between('order_summary.first_order_date', 'as_of.as_of_date') }} as T,  -- noqa: CP02
        cast(
            coalesce(order_summary.repeat_sales_amount / nullif(order_summary.purchase_day_count - 1, 0), 0)
            as double
        ) as monetary_value
    from order_summary
    cross join as_of
    where order_summary.first_order_date is not null
)

select * from final
