{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('source_systems') }}"
    )
}}
-- One row per customer: the sources they appear in, how the CRM says they were acquired, and the devices
-- and operating systems of their app installs. Several CRM contacts or app users can be one person, so
-- each attribute is aggregated over every record the identity map gives the customer.
-- Recomputed whole each run; an incremental run writes only the customers whose row changed, and a
-- tombstone (null source_systems, deleted by the post-hook) for each stored customer who is gone.
with

{% if is_incremental() %}
    stored_rows as (
        select {{ stored_documented_columns() }}
        from {{ this }}
    ),
{% endif %}

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

crm_contacts as (
    select
        contact_id,
        created_at,
        acquisition_source,
        acquisition_campaign_id
    from {{ ref('stg_crm__contacts') }}
    where is_current
),

app_users as (
    select
        app_user_id,
        device_type,
        operating_system
    from {{ ref('stg_app__app_users') }}
    where is_current
),

sources_seen as (
    select
        customer_id,
        {{ list_agg_distinct('source_name', ',') }} as source_systems
    from customer_ids
    group by customer_id
),

crm_acquisition as (
    -- the earliest value of each attribute, so a merged person reads the same whatever the record order
    select
        customer_ids.customer_id,
        min(crm_contacts.created_at) as crm_created_at,
        min(crm_contacts.acquisition_source) as acquisition_source,
        min(crm_contacts.acquisition_campaign_id) as acquisition_campaign_id
    from crm_contacts
    inner join customer_ids
        on customer_ids.source_name = 'crm' and crm_contacts.contact_id = customer_ids.source_record_id
    group by customer_ids.customer_id
),

app_installs as (
    select
        customer_ids.customer_id,
        {{ list_agg_distinct('app_users.device_type', ',') }} as app_device_types,
        {{ list_agg_distinct('app_users.operating_system', ',') }} as app_operating_systems
    from app_users
    inner join customer_ids
        on customer_ids.source_name = 'app' and app_users.app_user_id = customer_ids.source_record_id
    group by customer_ids.customer_id
),

recomputed_rows as (
    select
        sources_seen.customer_id,
        sources_seen.source_systems,
        crm_acquisition.acquisition_source,
        crm_acquisition.acquisition_campaign_id,
        crm_acquisition.crm_created_at,
        app_installs.app_device_types,
        app_installs.app_operating_systems
    from sources_seen
    left join crm_acquisition on sources_seen.customer_id = crm_acquisition.customer_id
    left join app_installs on sources_seen.customer_id = app_installs.customer_id
),

final as (
    {{ recomputed_changes('recomputed_rows', 'stored_rows', 'customer_id') }}
)

select * from final
