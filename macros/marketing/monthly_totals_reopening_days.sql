{#- int_customers__monthly_totals' reopening days (customer_id, purchase_date): the purchase days whose
    content int_customers__purchase_days changed since the totals' last run (it keeps, as processed_at,
    the time a day last changed: new and late orders, redeliveries; every day of a customer with a
    vanished day, dated as the earliest day that run changed or lost: changed_from_date), and every day
    of the survivors of identity merges since then. Their customers are recomputed from the month of the
    earliest one. Used by the model and by its pre-hook, which must
    agree, and by customer_rfm_history against its own run time (processed_at_column). `since`, SQL of a
    time, replaces the calling model's newest run time (customer_lifecycle_transitions gives it as a
    literal read before its pre-hook's delete). -#}
{% macro monthly_totals_reopening_days(purchase_days, merges, processed_at_column='processed_at', since=none) -%}
    {%- set since = since or '(select max(' ~ processed_at_column ~ ') from ' ~ this ~ ')' %}
    select
        customer_id,
        -- a day written with a vanished earlier day of its customer reopens from that day
        least(purchase_date, coalesce(changed_from_date, purchase_date)) as purchase_date
    from {{ purchase_days }}
    where
        processed_at > {{ since }}
        or customer_id in (
            select new_customer_id from {{ merges }}
            where merged_at > {{ since }}
        )
{%- endmacro %}


{#- The customers of the reopening days, each with the month of its earliest one
    (customer_id, first_reopened_month_end_date): int_customers__monthly_running_totals recomputes each
    from the stored month before it, and its pre-hook deletes each one's rows from it, which must agree. -#}
{% macro monthly_totals_reopened_customers(purchase_days, merges) -%}
    select
        customer_id,
        {{ month_end('min(purchase_date)') }} as first_reopened_month_end_date
    from ({{ monthly_totals_reopening_days(purchase_days, merges) }}) as reopening_days
    group by customer_id
{%- endmacro %}
