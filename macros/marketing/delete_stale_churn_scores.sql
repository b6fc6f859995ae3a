{#- Pre-hook of customer_churn_scores: on an incremental run, delete the scores that no longer hold -
    those of an older as-of date or model, and those whose features were recomputed to other values
    (late orders, identity merges) or disappeared (a merged-away customer). The model then scores the
    customers left without a score: usually none, a few after late data, all of them for a new month
    or model. -#}
{% macro delete_stale_churn_scores() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            as_of_date < (select max(as_of_date) from {{ ref('churn_features') }})
            or coalesce(model_labelled_through_date, date '1900-01-01')
            < (select coalesce(max(labelled_through_date), date '1900-01-01') from {{ ref('churn_model_fits') }})
            or not exists (
                select 1
                from {{ ref('churn_features') }} as features
                where
                    -- the older as-of dates' scores go by the first condition: only the latest is compared
                    features.as_of_date = (select max(as_of_date) from {{ ref('churn_features') }})
                    and features.customer_id = {{ this }}.customer_id
                    and features.as_of_date = {{ this }}.as_of_date
                    and features.features_hash = {{ this }}.features_hash
            )
    {%- endif -%}
{%- endmacro %}
