{#- Pre-hook of customer_churn_scores: on an incremental run, delete the scores when what they were
    made from has moved - a newer as-of date in churn_features, features of the scored date computed
    again (late data, identity merges), or a newer model in churn_model_fits. The model then rescores
    an empty table; when nothing moved it appends nothing. -#}
{% macro delete_stale_churn_scores() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            as_of_date < (select max(as_of_date) from {{ ref('churn_features') }})
            or features_processed_at < (
                select max(features.features_processed_at)
                from {{ ref('churn_features') }} as features
                where features.as_of_date = (select max(as_of_date) from {{ ref('churn_features') }})
            )
            or coalesce(model_labelled_through_date, date '1900-01-01')
            < (select coalesce(max(labelled_through_date), date '1900-01-01') from {{ ref('churn_model_fits') }})
    {%- endif -%}
{%- endmacro %}
