{{
    config(
        materialized=incremental_materialization(),
        unique_key='churn_feature_id',
        incremental_strategy='delete+insert',
        pre_hook="{{ delete_vanished_churn_features() }}",
        post_hook="{{ manifest_record_downstream_progress() }}"
    )
}}
-- depends_on: {{ ref('customer_identity_snapshot') }}
-- depends_on: {{ ref('load_manifest_progress') }}
-- depends_on: {{ ref('customer_rfm_history') }}
-- depends_on: {{ ref('int_customers__order_summary') }}
-- One row per customer who had bought by then and as-of date (int_customers__churn_as_of_dates): the
-- features from data before the as-of date, and the label - no purchase in the var('churn_horizon_days')
-- days from the as-of date - once the data covers them.
-- Incremental (delete+insert by churn_feature_id): every customer's features at newly settled as-of
-- dates and at those computed before a load with earlier non-order inputs; at every date, the customers
-- whose history rows were rewritten (late orders, merges, moved scores) or records moved since. Labels
-- are set for a whole date when the data covers its horizon, then only for customers with orders loaded
-- since inside it; those rows keep their features (they only use data before the as-of date).
{%- set feature_columns = [
    'recency_days', 'frequency_window', 'frequency_lifetime', 'monetary_window', 'monetary_lifetime',
    'recency_score', 'frequency_score', 'monetary_score', 'lifecycle_stage', 'monetary_window_change_3m',
    'web_order_share', 'store_order_share', 'app_order_share', 'app_events_30d', 'campaign_responses_90d',
    'complaints_90d', 'average_csat_before', 'has_bounced_email_before'
] %}
{%- set history_columns, engagement_columns = feature_columns[:13], feature_columns[13:] %}
{%- set horizon = "interval '" ~ var('churn_horizon_days') ~ " days'" %}
{%- set lookback = "interval '" ~ var('incremental_lookback_days') ~ " days'" %}
{%- set column_separator = ',\n        ' %}
{#- the feature views, each read once per filter (one CTE read twice would be computed whole): on an
    incremental run, every customer at the dates computed whole, and the recomputed customers at the
    other dates. The filters are literals so that they reach the scans under the views: a join with the
    work list (dates_to_compute) would instead be planned over both views whole, which ran out of 6 GB at
    1M customers on a catch-up that redid every date. A read with nothing to read is `false`. -#}
{%- set feature_reads = [('purchase_history_features', 'engagement_features', '')] %}
{%- set customer_limit = churn_recompute_customer_limit() %}
{%- if is_incremental() %}
    {%- set recomputed_customers = churn_features_recomputed_customers(customer_limit) %}
    {%- set date_list = churn_features_date_list(horizon, lookback, recomputed_customers) %}
    {%- set feature_reads = [
        ('purchase_history_features', 'engagement_features',
            'as_of_date in ' ~ sql_in_list(date_list) if date_list else 'false'),
        ('recomputed_history_features', 'recomputed_engagement_features',
            'customer_id in ' ~ sql_in_list(recomputed_customers)
            ~ (' and as_of_date not in ' ~ sql_in_list(date_list) if date_list else '')
            if recomputed_customers else 'false')
    ] %}
{%- endif %}
with

as_of_dates as (
    select
        as_of_date,
        history_processed_at,
        newest_input_load_date
    from {{ ref('int_customers__churn_as_of_dates') }}
),

{% for history, engagement, filter in feature_reads %}
    {{ history }} as (
        select
            customer_id,
            as_of_date,
            {{ history_columns | join(',\n            ') }}
        from {{ ref('int_customers__purchase_history_features') }}
        {{ 'where ' ~ filter if filter }}
    ),

    {{ engagement }} as (
        select
            customer_id,
            as_of_date,
            {{ engagement_columns | join(',\n            ') }}
        from {{ ref('int_customers__engagement_features') }}
        {{ 'where ' ~ filter if filter }}
    ),

{% endfor %}
purchase_days as (
    select
        customer_id,
        purchase_date,
        order_count,
        loaded_date
    from {{ ref('int_customers__purchase_days') }}
),

{% if is_incremental() %}
-- the stored rows' state, narrow: the work lists read it four times, and a CTE read more than once is
-- materialized whole (with the features, 14.5M rows took 13 s to read and hold at 6 years, 1M customers)
processed as (
    select
        churn_feature_id,
        customer_id,
        as_of_date,
        is_churned_next_horizon,
        source_loaded_date,
        features_processed_at
    from {{ this }}
),

stored_features as (
    select
        churn_feature_id,
        customer_id,
        as_of_date,
        {{ feature_columns | join(column_separator) }},
        features_hash
    from {{ this }}
),
{% endif %}

data_end as (
    select
        max(purchase_date) as data_end_date,
        max(loaded_date) as source_loaded_date
    from purchase_days
),

{% if is_incremental() %}
{{ churn_features_work_lists(
    'processed', 'as_of_dates', 'purchase_days', 'data_end', horizon, lookback, recomputed_customers
) }}
{% else %}
    dates_to_compute as (
        select as_of_date from as_of_dates
    ),
{% endif %}

-- every customer at the dates to compute; on an incremental run also the recomputed customers at the others
computed as (
    {%- for history, engagement, _ in feature_reads %}
        select
            {{ history }}.customer_id,
            {{ history }}.as_of_date,
            {%- for column in history_columns %}
                {{ history }}.{{ column }},
            {%- endfor %}
            coalesce({{ engagement }}.app_events_30d, 0) as app_events_30d,
            coalesce({{ engagement }}.campaign_responses_90d, 0) as campaign_responses_90d,
            coalesce({{ engagement }}.complaints_90d, 0) as complaints_90d,
            {{ engagement }}.average_csat_before,
            coalesce({{ engagement }}.has_bounced_email_before, false) as has_bounced_email_before
        from {{ history }}
        left join {{ engagement }}
            on
                {{ history }}.customer_id = {{ engagement }}.customer_id
                and {{ history }}.as_of_date = {{ engagement }}.as_of_date
        {%- if not is_incremental() %}
            where {{ history }}.as_of_date in (select dates_to_compute.as_of_date from dates_to_compute)
        {%- endif %}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

rows_to_write as (
    select
        {{ surrogate_key(['customer_id', 'as_of_date']) }} as churn_feature_id,
        customer_id,
        as_of_date,
        {{ feature_columns | join(column_separator) }},
        -- customer_churn_scores rescores a customer only when this changes
        {{ row_hash(feature_columns) }} as features_hash
    from computed
    {% if is_incremental() %}
        union all
        -- rows whose features stand but whose labels moved: carried over, to be labelled again (joined on
        -- the as-of date too, so that the scan skips the row groups of other dates)
        select
            stored_features.churn_feature_id,
            stored_features.customer_id,
            stored_features.as_of_date,
            {%- for column in feature_columns %}
                stored_features.{{ column }},
            {%- endfor %}
            stored_features.features_hash
        from stored_features
        inner join rows_to_relabel
            on
                stored_features.churn_feature_id = rows_to_relabel.churn_feature_id
                and stored_features.as_of_date = rows_to_relabel.as_of_date
    {% endif %}
),

labels as (
    select
        rows_to_write.churn_feature_id,
        case
            when rows_to_write.as_of_date + {{ horizon }} > data_end.data_end_date + interval '1 day' then null
            else count(purchase_days.purchase_date) = 0
        end as is_churned_next_horizon
    from rows_to_write
    cross join data_end
    left join purchase_days
        on
            rows_to_write.customer_id = purchase_days.customer_id
            and purchase_days.order_count > 0
            and rows_to_write.as_of_date <= purchase_days.purchase_date
            and purchase_days.purchase_date < rows_to_write.as_of_date + {{ horizon }}
    group by rows_to_write.churn_feature_id, rows_to_write.as_of_date, data_end.data_end_date
),

final as (
    select
        rows_to_write.churn_feature_id,
        rows_to_write.customer_id,
        rows_to_write.as_of_date,
        {%- for column in feature_columns %}
            rows_to_write.{{ column }},
        {%- endfor %}
        labels.is_churned_next_horizon,
        data_end.source_loaded_date,
        {{ utc_now() }} as features_processed_at,
        rows_to_write.features_hash
    from rows_to_write
    cross join data_end
    inner join labels on rows_to_write.churn_feature_id = labels.churn_feature_id
)

-- stored month by month, for the reason given in customer_rfm_history
select * from final
order by as_of_date
