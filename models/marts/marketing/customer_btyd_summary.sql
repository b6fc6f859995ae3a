{{ config(materialized='view') }}
-- One row per customer with at least one purchase by the as-of date: the frequency / recency / T /
-- monetary_value summary of the buy-till-you-die (BG/NBD, Gamma-Gamma) literature, with the
-- conventions of lifetimes and pymc-marketing: purchases are non-refund orders grouped by UTC day;
-- frequency = purchase days after the first; recency = days from the first to the last purchase day;
-- T = days from the first purchase day to the as-of date; monetary_value = mean of the repeat
-- purchase days' summed net amounts (0 without repeat purchases).
-- A view: customer_clv stores these columns with the scores made from them every day, so a table
-- here would only write every customer's row a second time; reading it aggregates the per-day state.
with

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        sales_amount
    from {{ ref('customer_purchase_days') }}
),

as_of as (
    select {{ analytics_as_of_date(ref('customer_purchase_days')) }} as as_of_date
),

buying_days as (
    select
        purchase_days.customer_id,
        purchase_days.purchase_date,
        purchase_days.sales_amount,
        as_of.as_of_date
    from purchase_days
    cross join as_of
    where purchase_days.order_count > 0 and purchase_days.purchase_date <= as_of.as_of_date
),

final as (
    select
        customer_id,
        max(as_of_date) as as_of_date,
        count(*) - 1 as frequency,
        {{ days_between('min(purchase_date)', 'max(purchase_date)') }} as recency,
        -- the literature's name for the customer's age; upper case on purpose
        {{ days_between('min(purchase_date)', 'max(as_of_date)') }} as T,  -- noqa: CP02
        -- the repeat days' sales are all days' but the first (min_by, in DuckDB and Spark alike):
        -- exact in decimals, and no window over every purchase day
        cast(
            coalesce(
                (sum(sales_amount) - min_by(sales_amount, purchase_date)) / nullif(count(*) - 1, 0), 0
            ) as double
        ) as monetary_value
    from buying_days
    group by customer_id
)

select * from final
