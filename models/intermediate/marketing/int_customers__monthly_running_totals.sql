{{
    config(
        materialized=incremental_materialization(),
        unique_key=['customer_id', 'calendar_month_end_date'],
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_reopened_monthly_totals() }}"
    )
}}
-- depends_on: {{ ref('customer_id_merges') }}
-- depends_on: {{ ref('int_customers__order_summary') }}
-- depends_on: {{ ref('bridge_customer_identity') }}
-- One row per customer and month from the customer's first purchase day (orders or refunds): lifetime
-- totals as of the month's last day (the as-of date for the current month). Incremental: a run
-- recomputes the customers whose purchase days changed from the month of the earliest such day (late
-- orders reopen exactly the months they change, and every later month), and every customer in the
-- months whose as-of date moved. Totals are running sums started from the row stored for the month
-- before (the work list's base month), so a run reads only the purchase days after it and its cost
-- follows the months and customers written, not the history. Months before a first purchase are
-- kept (refunds only) so that every customer has a row at every base month.
with

purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        web_order_count,
        store_order_count,
        app_order_count,
        net_amount,
        loaded_date,
        processed_at,
        changed_from_date
    from {{ ref('int_customers__purchase_days') }}
),

{% if is_incremental() %}
merges as (
    select
        new_customer_id,
        merged_at
    from {{ ref('customer_id_merges') }}
),
{% endif %}

as_of as (
    select {{ analytics_as_of_date(ref('int_customers__purchase_days')) }} as as_of_date
),

month_ends as (
    -- the months with purchase days by the as-of date, each as of its last day or the as-of date
    select distinct
        {{ month_end('purchase_days.purchase_date') }} as calendar_month_end_date,
        least({{ month_end('purchase_days.purchase_date') }}, as_of.as_of_date) as month_end_date
    from purchase_days
    cross join as_of
    where purchase_days.purchase_date <= as_of.as_of_date
),

work_list as (
    {{ monthly_totals_work_list('purchase_days', 'month_ends', 'merges') }}
),

base as (
    -- each work-list customer's stored totals at its base month (none before its first purchase day)
    {% if is_incremental() %}
        select
            processed.customer_id,
            processed.first_purchase_date,
            processed.last_purchase_date,
            processed.previous_purchase_date,
            processed.frequency_lifetime,
            processed.web_orders_lifetime,
            processed.store_orders_lifetime,
            processed.app_orders_lifetime,
            processed.monetary_lifetime
        from {{ this }} as processed
        inner join work_list
            on
                processed.customer_id = work_list.customer_id
                and processed.calendar_month_end_date = work_list.base_month_end_date
    {% else %}
        -- none on a full refresh
        select
            customer_id,
            cast(null as date) as first_purchase_date,
            cast(null as date) as last_purchase_date,
            cast(null as date) as previous_purchase_date,
            0 as frequency_lifetime,
            0 as web_orders_lifetime,
            0 as store_orders_lifetime,
            0 as app_orders_lifetime,
            0 as monetary_lifetime
        from work_list
        where false
    {% endif %}
),

computed_days as (
    -- the work-list customers' purchase days after their base month
    select
        purchase_days.*,
        {{ month_end('purchase_days.purchase_date') }} as calendar_month_end_date,
        work_list.base_month_end_date
    from purchase_days
    cross join as_of
    inner join work_list on purchase_days.customer_id = work_list.customer_id
    where
        purchase_days.purchase_date <= as_of.as_of_date
        and purchase_days.purchase_date > work_list.base_month_end_date
),

purchase_predecessors as (
    -- the purchase day before each one (null before the first day computed: the base has it)
    select
        customer_id,
        purchase_date,
        lag(purchase_date) over (partition by customer_id order by purchase_date) as previous_purchase_date
    from computed_days
    where order_count > 0
),

customer_month_sums as (
    select
        customer_id,
        calendar_month_end_date,
        min(case when order_count > 0 then purchase_date end) as first_purchase_in_month,
        max(case when order_count > 0 then purchase_date end) as last_purchase_in_month,
        sum({{ rfm_frequency_units('order_count') }}) as order_count,
        {% for channel in ['web', 'store', 'app'] %}
            sum({{ channel }}_order_count) as {{ channel }}_order_count,
        {% endfor %}
        sum(net_amount) as net_amount
    from computed_days
    group by customer_id, calendar_month_end_date
),

customer_first_months as (
    -- the month after the base month for customers with a base, else the first month with days
    select
        work_list.customer_id,
        case
            when base.customer_id is not null
                then {{ month_end(dbt.dateadd('day', 1, 'work_list.base_month_end_date')) }}
            else min(customer_month_sums.calendar_month_end_date)
        end as first_month_end_date
    from work_list
    left join base on work_list.customer_id = base.customer_id
    left join customer_month_sums on work_list.customer_id = customer_month_sums.customer_id
    group by work_list.customer_id, work_list.base_month_end_date, base.customer_id
    having base.customer_id is not null or count(customer_month_sums.customer_id) > 0
),

running_totals as (
    select
        month_ends.calendar_month_end_date,
        month_ends.month_end_date,
        customer_first_months.customer_id,
        min(customer_month_sums.first_purchase_in_month) over customer_so_far as first_purchase_after_base,
        max(customer_month_sums.last_purchase_in_month) over customer_so_far as last_purchase_after_base,
        sum(coalesce(customer_month_sums.order_count, 0)) over customer_so_far as frequency_after_base,
        {% for channel in ['web', 'store', 'app'] %}
            sum(coalesce(customer_month_sums.{{ channel }}_order_count, 0))
                over customer_so_far as {{ channel }}_orders_after_base,
        {% endfor %}
        sum(coalesce(customer_month_sums.net_amount, 0)) over customer_so_far as monetary_after_base
    from customer_first_months
    inner join month_ends on customer_first_months.first_month_end_date <= month_ends.calendar_month_end_date
    left join customer_month_sums
        on
            customer_first_months.customer_id = customer_month_sums.customer_id
            and month_ends.calendar_month_end_date = customer_month_sums.calendar_month_end_date
    window customer_so_far as (
        partition by customer_first_months.customer_id
        order by month_ends.calendar_month_end_date
        rows between unbounded preceding and current row
    )
),

final as (
    select
        running_totals.customer_id,
        running_totals.calendar_month_end_date,
        running_totals.month_end_date,
        coalesce(base.first_purchase_date, running_totals.first_purchase_after_base) as first_purchase_date,
        coalesce(running_totals.last_purchase_after_base, base.last_purchase_date) as last_purchase_date,
        case
            when running_totals.last_purchase_after_base is not null
                then coalesce(purchase_predecessors.previous_purchase_date, base.last_purchase_date)
            else base.previous_purchase_date
        end as previous_purchase_date,
        -- running sums are HUGEINT in DuckDB, which few BI drivers read: counts are BIGINT
        {% for measure in ['frequency', 'web_orders', 'store_orders', 'app_orders'] %}
            cast(
                coalesce(base.{{ measure }}_lifetime, 0) + running_totals.{{ measure }}_after_base as bigint
            ) as {{ measure }}_lifetime,
        {% endfor %}
        cast(coalesce(base.monetary_lifetime, 0) + running_totals.monetary_after_base as decimal(18, 2))
            as monetary_lifetime,
        (select max(purchase_days.loaded_date) from purchase_days) as source_loaded_date,
        {{ utc_now() }} as processed_at
    from running_totals
    left join base on running_totals.customer_id = base.customer_id
    left join purchase_predecessors
        on
            running_totals.customer_id = purchase_predecessors.customer_id
            and running_totals.last_purchase_after_base = purchase_predecessors.purchase_date
)

-- stored month by month: the months a run rewrites are then contiguous row groups at the table's
-- end, cheap to delete and rewrite, and readers of one month skip the others
select * from final
order by calendar_month_end_date
