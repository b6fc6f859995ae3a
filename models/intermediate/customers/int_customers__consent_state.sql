{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('has_email_consent') }}"
    )
}}
-- One row per customer with a consent change on any of their CRM contacts: whether the latest change per
-- channel is an opt-in. A channel never asked is false (no consent without an opt-in). Erasure is not
-- applied here; dim_customers withdraws every consent of an erased customer.
-- Recomputed whole each run; an incremental run writes only the customers whose row changed, and a
-- tombstone (null has_email_consent, deleted by the post-hook) for each stored customer who is gone.
with

{% if is_incremental() %}
    stored_rows as (
        select {{ stored_documented_columns() }}
        from {{ this }}
    ),
{% endif %}

customer_ids as (
    select
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
    where source_name = 'crm'
),

consent_changes as (
    select
        contact_id,
        channel,
        is_granted,
        changed_at,
        consent_change_id
    from {{ ref('stg_privacy__consent_changes') }}
    where contact_id is not null
),

ranked_changes as (
    -- across merged contacts the latest change wins; the change id breaks ties within one second
    select
        customer_ids.customer_id,
        consent_changes.channel,
        consent_changes.is_granted,
        row_number() over (
            partition by customer_ids.customer_id, consent_changes.channel
            order by consent_changes.changed_at desc, consent_changes.consent_change_id desc
        ) as consent_rank
    from consent_changes
    inner join customer_ids on consent_changes.contact_id = customer_ids.source_record_id
),

recomputed_rows as (
    select
        customer_id,
        {% for channel in ['email', 'sms', 'push', 'phone', 'direct_mail'] %}
            coalesce(max(case when channel = '{{ channel }}' then is_granted end), false) as has_{{ channel }}_consent
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from ranked_changes
    where consent_rank = 1
    group by customer_id
),

final as (
    {{ recomputed_changes('recomputed_rows', 'stored_rows', 'customer_id') }}
)

select * from final
