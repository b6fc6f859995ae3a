{#- The as-of dates an incremental churn_features run computes for every customer (dates_to_compute of
    churn_features_work_lists), as SQL date literals asked of the warehouse when the model runs, so that
    a filter on them reaches the scans under the feature views: a join with the CTE would compute the
    engagement features of every as-of date, 17 s at 1M customers on a day with no date to compute, and
    ran out of 6 GB on a catch-up that redid every date. -#}
{% macro churn_features_date_list(horizon, lookback, recomputed_customers) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set purchase_days = ref('int_customers__purchase_days') -%}
    {%- set dates = run_query(
        "with processed as (select * from " ~ this ~ "),
        as_of_dates as (select * from " ~ ref('int_customers__churn_as_of_dates') ~ "),
        purchase_days as (select * from " ~ purchase_days ~ "),
        data_end as (
            select max(purchase_date) as data_end_date, max(loaded_date) as source_loaded_date
            from " ~ purchase_days ~ "
        ),
        " ~ churn_features_work_lists(
            'processed', 'as_of_dates', 'purchase_days', 'data_end', horizon, lookback, recomputed_customers
        ) ~ "
        final as (select as_of_date from dates_to_compute)
        select * from final order by 1"
    ).columns[0].values() -%}
    {%- set literals = [] -%}
    {%- for as_of_date in dates -%}
        {%- do literals.append(sql_date(as_of_date)) -%}
    {%- endfor -%}
    {{ return(literals) }}
{%- endmacro %}
