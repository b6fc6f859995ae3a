{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('contact_quality_score') }}"
    )
}}
-- One row per customer with flags on how usable and current the best contacts are, and a 0-100
-- contact quality score that dim_customers and activation read. Weights favour what marketing uses
-- most: a deliverable, recently confirmed e-mail (50), a valid phone (20), a valid postal address (20),
-- a known name (10).
-- Recomputed whole each run; an incremental run writes only the customers whose row changed, and a
-- tombstone (null contact_quality_score, deleted by the post-hook) for each stored customer who is gone.
with

{% if is_incremental() %}
    stored_rows as (
        select {{ stored_documented_columns() }}
        from {{ this }}
    ),
{% endif %}

survivorship as (
    select
        customer_id,
        first_name,
        last_name,
        email,
        email_verified_at,
        email_last_seen_at,
        is_email_bounced,
        phone,
        postal_code,
        is_postal_code_valid
    from {{ ref('int_customers__survivorship') }}
),

candidates as (
    select seen_at from {{ ref('int_customers__contact_candidates') }}
),

data_end as (
    -- "now" is the end of the data, so rebuilding old data gives the same answer
    select max(seen_at) as data_end_at from candidates
),

flags as (
    select
        survivorship.customer_id,
        survivorship.email is not null as has_email,
        coalesce(survivorship.email_verified_at, survivorship.email_last_seen_at)
        < data_end.data_end_at - interval '{{ var("stale_contact_days") }} days' as is_email_stale,
        survivorship.is_email_bounced,
        survivorship.phone is not null as has_valid_phone,
        survivorship.postal_code is not null and survivorship.is_postal_code_valid as has_valid_address,
        survivorship.first_name is not null and survivorship.last_name is not null as has_full_name
    from survivorship
    cross join data_end
),

recomputed_rows as (
    select
        customer_id,
        has_email,
        coalesce(is_email_stale, false) as is_email_stale,
        is_email_bounced,
        has_valid_phone,
        has_valid_address,
        has_full_name,
        case when has_email and not is_email_bounced then 30 else 0 end
        + case when has_email and not is_email_bounced and not coalesce(is_email_stale, false) then 20 else 0 end
        + case when has_valid_phone then 20 else 0 end
        + case when has_valid_address then 20 else 0 end
        + case when has_full_name then 10 else 0 end as contact_quality_score
    from flags
),

final as (
    {{ recomputed_changes('recomputed_rows', 'stored_rows', 'customer_id') }}
)

select * from final
