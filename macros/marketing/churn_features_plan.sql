{#- What an incremental run of churn_features redoes, asked of the warehouse before the model's SQL is
    written (two small queries) and returned as SQL literals, so that the model's reads of its inputs
    skip what the run does not need (DuckDB prunes row groups on literal bounds, not on subqueries):
    - compute_months: the months (calendar month ends) whose as-of dates (the day after) may have
      their features (re)computed - months completed since the last run, months customer_rfm_history
      wrote since, and as-of dates computed before a load with earlier non-order inputs (app events,
      campaign responses, tickets, e-mail bounces), once settled; the model keeps those complete;
    - label_dates: as-of dates with unknown labels whose horizon the data now covers;
    - relabel_from: the first as-of date whose known labels orders loaded since can change;
    - loaded_since: loads after it were not all checked by the last run (its newest load, less the
      lookback);
    - data_end_date and source_loaded_date: the newest purchase day and load;
    - read_from: the earliest purchase day any of these needs (a month end before an as-of date
      will do).
    Only called on incremental runs at execution time. -#}
{% macro churn_features_plan() %}
    {% set purchase_days = ref('int_customers__purchase_days') %}
    {% set bounds_query %}
        select
            (
                select cast(max(source_loaded_date) - interval '{{ var("incremental_lookback_days") }} days' as date)
                from (
                    -- the newest load a date's features were computed with (relabelled rows carry later ones)
                    select min(source_loaded_date) as source_loaded_date from {{ this }} group by as_of_date
                ) as processed_dates
            ) as loaded_since,
            (
                select cast(min(purchase_date) - interval '{{ var("churn_horizon_days") }} days' as date)
                from {{ purchase_days }}
                where order_count > 0 and loaded_date > (
                    select max(source_loaded_date) - interval '{{ var("incremental_lookback_days") }} days'
                    from {{ this }}
                )
            ) as relabel_from,
            (select max(purchase_date) from {{ purchase_days }}) as data_end_date,
            (select max(loaded_date) from {{ purchase_days }}) as source_loaded_date
    {% endset %}
    {% set bounds = run_query(bounds_query).rows[0] %}
    {% set loaded_since, relabel_from, data_end_date, source_loaded_date = bounds[0], bounds[1], bounds[2], bounds[3] %}

    {% set dates_query %}
        with processed_dates as (
            select
                as_of_date,
                min(source_loaded_date) as source_loaded_date,
                count(case when is_churned_next_horizon is null then 1 end) > 0 as has_unknown_labels
            from {{ this }}
            group by as_of_date
        ),

        late_inputs as (
            -- the earliest input of each load since the last run; late orders reopen months in
            -- customer_rfm_history instead
            select load_date, min(event_at) as input_at from {{ ref('stg_app__app_events') }}
            where load_date > {{ sql_date(loaded_since) }} group by load_date
            union all
            select load_date, min(responded_at) from {{ ref('stg_marketing__campaign_responses') }}
            where load_date > {{ sql_date(loaded_since) }} group by load_date
            union all
            select load_date, min(opened_at) from {{ ref('stg_support__tickets') }}
            where load_date > {{ sql_date(loaded_since) }} group by load_date
            union all
            select load_date, min(greatest(email_bounced_at, updated_at)) from {{ ref('stg_crm__contacts') }}
            where email_bounced_at is not null and load_date > {{ sql_date(loaded_since) }} group by load_date
        ),

        candidate_months as (
            select calendar_month_end_date
            from {{ ref('customer_rfm_history') }}
            where
                calendar_month_end_date >= (select max(as_of_date) from {{ this }})
                or history_processed_at > (select max(features_processed_at) from {{ this }})
            union
            -- dates computed before a load with inputs dated before them (a re-read of a load they
            -- already saw redoes nothing)
            select cast(processed_dates.as_of_date - interval '1 day' as date)
            from processed_dates
            inner join late_inputs
                on
                    late_inputs.load_date > processed_dates.source_loaded_date
                    and late_inputs.input_at < processed_dates.as_of_date
        )

        select 'compute' as reason, calendar_month_end_date as plan_date
        from candidate_months
        -- settled (the model also requires the month to be complete)
        where {{ dbt.dateadd('day', var('churn_settle_days'), 'calendar_month_end_date') }} <= {{ sql_date(data_end_date) }}
        union all
        select 'label', as_of_date
        from processed_dates
        where
            has_unknown_labels
            and as_of_date + interval '{{ var("churn_horizon_days") }} days'
            <= {{ sql_date(data_end_date) }} + interval '1 day'
        order by 2
    {% endset %}
    {% set compute_months, label_dates, read_from = [], [], [relabel_from] %}
    {% for row in run_query(dates_query).rows %}
        {% do (compute_months if row[0] == 'compute' else label_dates).append(sql_date(row[1])) %}
        {% do read_from.append(row[1]) %}
    {% endfor %}
    {% set read_from = read_from | reject('none') | list %}
    {{ return({
        'compute_months': compute_months,
        'label_dates': label_dates,
        'relabel_from': sql_date(relabel_from),
        'loaded_since': sql_date(loaded_since),
        'data_end_date': sql_date(data_end_date),
        'source_loaded_date': sql_date(source_loaded_date),
        'read_from': sql_date(read_from | min if read_from else none),
    }) }}
{% endmacro %}
