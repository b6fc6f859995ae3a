{#- The state logic of an incremental churn_features run, as CTEs for its WITH clause (each followed by a
    comma): processed_dates (per stored as-of date, the oldest load its rows were computed with and
    whether a label is still unknown), run_state (the last run's newest as-of date, run time and
    checked loads), dates_to_compute (as-of dates whose features are computed again for every customer:
    months completed since the last run, dates computed before a load with inputs dated before them,
    months customer_rfm_history rewrote since when recomputed_customers is none, and every date when a
    file the model recorded as read was withdrawn or redelivered since: manifest_processed_files_changed)
    and rows_to_relabel (churn_feature_id and as_of_date of the stored rows of other customers than
    recomputed_customers kept as they are but labelled again: every row of a date whose horizon the data
    now covers, and rows of customers with orders loaded since inside their horizon - a known label
    changes only by the customer's own orders).
    Takes the model's CTE names; horizon and lookback are SQL intervals. -#}
{% macro churn_features_work_lists(
    processed, as_of_dates, purchase_days, data_end, horizon, lookback, recomputed_customers
) -%}
processed_dates as (
    select
        as_of_date,
        -- the newest load a date's features were computed with (relabelled rows carry later ones)
        min(source_loaded_date) as source_loaded_date,
        count(case when is_churned_next_horizon is null then 1 end) > 0 as has_unknown_labels
    from {{ processed }}
    group by as_of_date
),

run_state as (
    select
        (select max(as_of_date) from {{ processed }}) as last_as_of_date,
        (select max(features_processed_at) from {{ processed }}) as last_processed_at,
        -- loads after this were not all checked by the last run (its newest load, less the lookback)
        (select cast(max(source_loaded_date) - {{ lookback }} as date) from processed_dates) as loaded_since,
        -- the first as-of date whose known label an order loaded in the lookback can change
        (
            select cast(min(purchase_date) - {{ horizon }} as date)
            from {{ purchase_days }}
            where order_count > 0 and loaded_date > (select max(source_loaded_date) - {{ lookback }} from {{ processed }})
        ) as relabel_from
),

dates_to_compute as (
    select {{ as_of_dates }}.as_of_date
    from {{ as_of_dates }}
    cross join run_state
    left join processed_dates on {{ as_of_dates }}.as_of_date = processed_dates.as_of_date
    where
        {%- if manifest_processed_files_changed() %}
        -- a file the last run read was withdrawn or redelivered since (load manifest): what it held is
        -- in no other input, so every date is computed again
        true
        {%- else %}
        {{ as_of_dates }}.as_of_date > run_state.last_as_of_date
        {%- if recomputed_customers is none %}
        -- too many customers to recompute one by one (churn_features_recomputed_customers)
        or {{ as_of_dates }}.history_processed_at > run_state.last_processed_at
        {%- endif %}
        -- a re-read of a load a date already saw redoes nothing
        or (
            {{ as_of_dates }}.newest_input_load_date > run_state.loaded_since
            and {{ as_of_dates }}.newest_input_load_date > processed_dates.source_loaded_date
        )
        {%- endif %}
),

orders_since_labelled as (
    -- loads before the last run were checked by that run
    select distinct {{ processed }}.churn_feature_id
    from {{ processed }}
    cross join run_state
    inner join {{ purchase_days }}
        on
            {{ processed }}.customer_id = {{ purchase_days }}.customer_id
            and {{ purchase_days }}.order_count > 0
            and {{ purchase_days }}.loaded_date > run_state.loaded_since
            and {{ purchase_days }}.loaded_date > {{ processed }}.source_loaded_date
            and {{ purchase_days }}.purchase_date >= {{ processed }}.as_of_date
            and {{ purchase_days }}.purchase_date < {{ processed }}.as_of_date + {{ horizon }}
    where
        {{ processed }}.is_churned_next_horizon is not null
        and {{ processed }}.as_of_date >= run_state.relabel_from
),

rows_to_relabel as (
    select
        {{ processed }}.churn_feature_id,
        {{ processed }}.as_of_date
    from {{ processed }}
    cross join {{ data_end }}
    inner join processed_dates on {{ processed }}.as_of_date = processed_dates.as_of_date
    left join orders_since_labelled on {{ processed }}.churn_feature_id = orders_since_labelled.churn_feature_id
    where
        {{ processed }}.as_of_date not in (select dates_to_compute.as_of_date from dates_to_compute)
        {%- if recomputed_customers %}
        and {{ processed }}.customer_id not in {{ sql_in_list(recomputed_customers) }}
        {%- endif %}
        and (
            processed_dates.has_unknown_labels
            and {{ processed }}.as_of_date + {{ horizon }} <= {{ data_end }}.data_end_date + interval '1 day'
            or orders_since_labelled.churn_feature_id is not null
        )
),
{%- endmacro %}
