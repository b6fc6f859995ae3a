{#- The work list of int_customers__monthly_running_totals (customer_id, base_month_end_date): the customers
    a run recomputes, each with the stored month its running sums start from. On an incremental run: each
    customer with reopening days (monthly_totals_reopening_days) from the stored month before its own first
    reopened month (the pre-hook deletes its rows from that month on), and, when a month's as-of date moved
    or a month is new, every customer from the stored month before the first such month at the latest. So
    a merge survivor's old history restarts its own sums only, not those of every customer with a new
    order. On a full refresh: every customer, from no base month. Takes the model's CTE names. -#}
{% macro monthly_totals_work_list(purchase_days, month_ends, merges) -%}
    {%- if is_incremental() %}
        with

        stored_months as (
            select distinct
                calendar_month_end_date,
                month_end_date
            from {{ this }}
        ),

        changed_customers as (
            {{ monthly_totals_reopened_customers(purchase_days, merges) }}
        ),

        moved_months as (
            select {{ month_ends }}.calendar_month_end_date
            from {{ month_ends }}
            left join stored_months
                on {{ month_ends }}.calendar_month_end_date = stored_months.calendar_month_end_date
            where stored_months.month_end_date is distinct from {{ month_ends }}.month_end_date
        ),

        base_months as (
            select
                coalesce(
                    max(case
                        when calendar_month_end_date < (select min(calendar_month_end_date) from moved_months)
                            then calendar_month_end_date
                    end),
                    cast('1900-01-01' as date)
                ) as moved_base_month_end_date
            from stored_months
        ),

        changed_bases as (
            -- the stored month before the customer's own first reopened month
            select
                changed_customers.customer_id,
                coalesce(max(stored_months.calendar_month_end_date), cast('1900-01-01' as date))
                    as base_month_end_date
            from changed_customers
            left join stored_months
                on stored_months.calendar_month_end_date < changed_customers.first_reopened_month_end_date
            group by changed_customers.customer_id
        )

        select
            changed_bases.customer_id,
            case
                -- a moved month before the customer's own one is redone too
                when exists (select 1 from moved_months)
                    then least(changed_bases.base_month_end_date, base_months.moved_base_month_end_date)
                else changed_bases.base_month_end_date
            end as base_month_end_date
        from changed_bases
        cross join base_months
        union all
        select distinct
            {{ purchase_days }}.customer_id,
            base_months.moved_base_month_end_date
        from {{ purchase_days }}
        cross join base_months
        where
            exists (select 1 from moved_months)
            and {{ purchase_days }}.customer_id not in (select changed_customers.customer_id from changed_customers)
    {%- else %}
        select distinct
            customer_id,
            cast('1900-01-01' as date) as base_month_end_date
        from {{ purchase_days }}
    {%- endif %}
{%- endmacro %}
