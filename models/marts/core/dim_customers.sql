{#- on_schema_change: a warehouse built before a column gains it as nulls, which the next run sees as
    changed and fills (stored_documented_columns) -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('is_erased') }}"
    )
}}
-- One row per customer (resolved person): how to recognise them without reading who they are (salted
-- hashes of the best e-mail and phone, an age band, a postal area), how they came, where and how much
-- they buy, how they use the app, support and campaigns, and whether they may be contacted. No clear
-- personal data: BI reads this table; activation reads the clear contacts in restricted.customer_contacts.
-- Customers who asked to be erased (int_erasure_requests__matched) keep their row (their orders still
-- count) but lose every personal attribute and every consent.
with

survivorship as (
    select
        customer_id,
        email,
        email_source,
        email_last_seen_at,
        email_verified_at,
        is_email_bounced,
        phone,
        phone_source,
        phone_last_seen_at,
        postal_code,
        country_code,
        is_postal_code_valid,
        address_source,
        address_last_seen_at,
        birth_date,
        gender
    from {{ ref('int_customers__survivorship') }}
),

contact_quality as (
    select
        customer_id,
        is_email_stale,
        contact_quality_score
    from {{ ref('int_customers__contact_quality') }}
),

candidates as (
    select seen_at from {{ ref('int_customers__contact_candidates') }}
),

source_profiles as (
    select
        customer_id,
        source_systems,
        acquisition_source,
        acquisition_campaign_id,
        crm_created_at,
        app_device_types,
        app_operating_systems
    from {{ ref('int_customers__source_profiles') }}
),

lifetime_orders as (
    select * from {{ ref('int_customers__lifetime_orders') }}
),

engagement as (
    select * from {{ ref('int_customers__engagement') }}
),

consent_state as (
    select * from {{ ref('int_customers__consent_state') }}
),

erasure_matches as (
    select customer_id from {{ ref('int_erasure_requests__matched') }}
    where customer_id is not null
),

{% if is_incremental() %}
    stored_rows as (
        select {{ stored_documented_columns() }}
        from {{ this }}
    ),
{% endif %}

erased_customers as (
    select distinct customer_id from erasure_matches
),

data_end as (
    -- ages are taken at the end of the data, so rebuilding old data gives the same bands
    select cast(max(seen_at) as date) as data_end_date from candidates
),

personal_attributes as (
    -- the standardised values (lower-case e-mail, E.164 phone) reduced to what BI may see
    select
        survivorship.customer_id,
        {{ pii_hash('lower(survivorship.email)') }} as email_hash,
        {{ pii_hash('survivorship.phone') }} as phone_hash,
        {{ age_band(age_years('survivorship.birth_date', 'data_end.data_end_date')) }} as age_band,
        case
            when survivorship.is_postal_code_valid
                then {{ postal_area('survivorship.postal_code', 'survivorship.country_code') }}
        end as postal_area
    from survivorship
    cross join data_end
),

recomputed_rows as (
    -- the counts are 0, not null, for a customer absent from an int model (no orders, tickets, campaigns)
    select
        survivorship.customer_id,
        erased_customers.customer_id is not null as is_erased,
        {% for column in ['email_hash', 'phone_hash', 'age_band', 'postal_area'] %}
            case when erased_customers.customer_id is null then personal_attributes.{{ column }} end as {{ column }},
        {% endfor %}
        survivorship.email_source,
        survivorship.email_last_seen_at,
        survivorship.email_verified_at,
        survivorship.is_email_bounced,
        contact_quality.is_email_stale,
        contact_quality.contact_quality_score,
        survivorship.phone_source,
        survivorship.phone_last_seen_at,
        survivorship.address_source,
        survivorship.address_last_seen_at,
        survivorship.country_code,
        survivorship.is_postal_code_valid,
        survivorship.gender,
        source_profiles.acquisition_source,
        source_profiles.acquisition_campaign_id,
        source_profiles.crm_created_at,
        source_profiles.source_systems,
        lifetime_orders.preferred_channel,
        source_profiles.app_device_types,
        source_profiles.app_operating_systems,
        lifetime_orders.first_purchase_at,
        lifetime_orders.last_purchase_at,
        {% for channel in ['web', 'store', 'app'] %}
            lifetime_orders.first_{{ channel }}_purchase_at,
            lifetime_orders.last_{{ channel }}_purchase_at,
            coalesce(lifetime_orders.{{ channel }}_order_count, 0) as {{ channel }}_order_count,
        {% endfor %}
        coalesce(lifetime_orders.lifetime_order_count, 0) as lifetime_order_count,
        coalesce(lifetime_orders.lifetime_refund_count, 0) as lifetime_refund_count,
        cast(coalesce(lifetime_orders.lifetime_net_revenue, 0) as decimal(18, 2)) as lifetime_net_revenue,
        {% for column in ['support_ticket_count', 'complaint_count'] %}
            coalesce(engagement.{{ column }}, 0) as {{ column }},
        {% endfor %}
        engagement.last_csat_score,
        {% for column in ['campaigns_targeted_count', 'campaigns_held_out_count', 'campaign_open_count',
                          'campaign_click_count', 'campaign_conversion_count'] %}
            coalesce(engagement.{{ column }}, 0) as {{ column }},
        {% endfor %}
        {% for channel in ['email', 'sms', 'push', 'phone', 'direct_mail'] %}
            coalesce(consent_state.has_{{ channel }}_consent, false) and erased_customers.customer_id is null
                as has_{{ channel }}_consent,
        {% endfor %}
        coalesce(consent_state.has_email_consent, false)
        and erased_customers.customer_id is null
        and survivorship.email is not null
        and not survivorship.is_email_bounced as is_email_contactable
    from survivorship
    inner join contact_quality on survivorship.customer_id = contact_quality.customer_id
    inner join personal_attributes on survivorship.customer_id = personal_attributes.customer_id
    left join erased_customers on survivorship.customer_id = erased_customers.customer_id
    left join source_profiles on survivorship.customer_id = source_profiles.customer_id
    left join lifetime_orders on survivorship.customer_id = lifetime_orders.customer_id
    left join engagement on survivorship.customer_id = engagement.customer_id
    left join consent_state on survivorship.customer_id = consent_state.customer_id
),

final as (
    {{ recomputed_changes('recomputed_rows', 'stored_rows', 'customer_id') }}
)

select * from final
