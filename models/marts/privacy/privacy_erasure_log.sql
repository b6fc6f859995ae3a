{{
    config(
        materialized='incremental',
        unique_key='erasure_request_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}
-- One row per erasure request and customer it erased (int_erasure_requests__matched), and one row
-- with a null customer_id for a request that matched nobody yet, so it stays visible. No personal
-- data: ids, how the customer was found, how many records, when it was asked and applied.
-- applied_at is when a build first applied the request to that customer: each run rewrites every
-- request it knows (delete+insert by request, so a placeholder row of a request that now matches goes)
-- and carries applied_at over from the stored row of the same request and customer. A --full-refresh
-- starts the log again and sets applied_at to that build's time.
{%- set build_started_at = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)" %}
with

erasure_matches as (
    select
        erasure_match_id,
        erasure_request_id,
        customer_id,
        matched_by,
        records_affected,
        requested_at
    from {{ ref('int_erasure_requests__matched') }}
),

{% if is_incremental() %}
    logged as (
        select
            erasure_log_id,
            applied_at
        from {{ this }}
    ),

{% endif %}
final as (
    select
        erasure_matches.erasure_match_id as erasure_log_id,
        erasure_matches.erasure_request_id,
        erasure_matches.customer_id,
        erasure_matches.matched_by,
        erasure_matches.records_affected,
        erasure_matches.requested_at,
        case
            when erasure_matches.customer_id is not null
                {% if is_incremental() %}
                    then coalesce(logged.applied_at, {{ build_started_at }})
                {% else %}
                    then {{ build_started_at }}
                {% endif %}
        end as applied_at
    from erasure_matches
    {% if is_incremental() %}
        left join logged on erasure_matches.erasure_match_id = logged.erasure_log_id
    {% endif %}
)

select * from final
