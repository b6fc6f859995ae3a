{#- Pre-hook of churn_features: on an incremental run, delete the feature rows of as-of dates whose
    customer_rfm_history month was recomputed since the model last ran, when that month no longer has
    the customer (merged away by identity resolution; no int_customers__purchase_history_features row),
    and every row of customers left without purchase days (vanished_customers). churn_features writes row
    by row (by churn_feature_id), so a row that should vanish is not replaced; this removes it. -#}
{% macro delete_vanished_churn_features() -%}
    {%- if is_incremental() -%}
        {%- set vanished_from = vanished_customers_first_month('as_of_date') -%}
        delete from {{ this }}
        where
            (
                as_of_date in (
                    select as_of_date
                    from {{ ref('int_customers__churn_as_of_dates') }}
                    where history_processed_at > (select max(features_processed_at) from {{ this }})
                )
                and not exists (
                    select 1
                    from {{ ref('int_customers__purchase_history_features') }} as history_features
                    where
                        history_features.customer_id = {{ this }}.customer_id
                        and history_features.as_of_date = {{ this }}.as_of_date
                )
            )
            {%- if vanished_from is not none %}
            or customer_id in ({{ vanished_customers('stored', 'as_of_date') }})
            {%- endif %}
    {%- endif -%}
{%- endmacro %}
