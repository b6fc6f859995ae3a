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
        email_bounced_at,
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

customer_ids as (
    select
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

orders as (
    select
        customer_id,
        ordered_at,
        channel,
        net_amount,
        is_refund
    from {{ ref('fct_orders') }}
    where customer_id is not null
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

tickets as (
    select
        ticket_id,
        is_complaint,
        csat_score,
        opened_at
    from {{ ref('stg_support__tickets') }}
),

campaign_members as (
    select
        campaign_member_id,
        contact_id,
        group_name
    from {{ ref('stg_marketing__campaign_members') }}
),

campaign_responses as (
    select
        campaign_member_id,
        response_type
    from {{ ref('stg_marketing__campaign_responses') }}
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

erasure_matches as (
    select customer_id from {{ ref('int_erasure_requests__matched') }}
    where customer_id is not null
),

candidates as (
    select seen_at from {{ ref('int_customers__contact_candidates') }}
),

contact_quality as (
    select
        customer_id,
        is_email_stale,
        contact_quality_score
    from {{ ref('int_customers__contact_quality') }}
),

channels_seen as (
    select
        customer_id,
        {{ list_agg_distinct('source_name', ',') }} as source_systems,
        min(case when source_name = 'crm' then source_record_id end) as crm_contact_id
    from customer_ids
    group by customer_id
),

order_summary as (
    select
        customer_id,
        min(case when not is_refund then ordered_at end) as first_purchase_at,
        max(case when not is_refund then ordered_at end) as last_purchase_at,
        {% for channel in ['web', 'store', 'app'] %}
            min(case when not is_refund and channel = '{{ channel }}' then ordered_at end)
                as first_{{ channel }}_purchase_at,
            max(case when not is_refund and channel = '{{ channel }}' then ordered_at end)
                as last_{{ channel }}_purchase_at,
            count(case when not is_refund and channel = '{{ channel }}' then 1 end) as {{ channel }}_order_count,
        {% endfor %}
        count(case when not is_refund then 1 end) as lifetime_order_count,
        count(case when is_refund then 1 end) as lifetime_refund_count,
        sum(net_amount) as lifetime_net_revenue
    from orders
    group by customer_id
),

crm_summary as (
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

app_summary as (
    select
        customer_ids.customer_id,
        {{ list_agg_distinct('app_users.device_type', ',') }} as app_device_types,
        {{ list_agg_distinct('app_users.operating_system', ',') }} as app_operating_systems
    from app_users
    inner join customer_ids
        on customer_ids.source_name = 'app' and app_users.app_user_id = customer_ids.source_record_id
    group by customer_ids.customer_id
),

support_summary as (
    select
        customer_ids.customer_id,
        count(*) as support_ticket_count,
        count(case when tickets.is_complaint then 1 end) as complaint_count,
        max(tickets.opened_at) as last_ticket_opened_at
    from tickets
    inner join customer_ids
        on customer_ids.source_name = 'support' and tickets.ticket_id = customer_ids.source_record_id
    group by customer_ids.customer_id
),

last_csat as (
    select
        customer_ids.customer_id,
        tickets.csat_score as last_csat_score,
        row_number() over (partition by customer_ids.customer_id order by tickets.opened_at desc) as csat_rank
    from tickets
    inner join customer_ids
        on customer_ids.source_name = 'support' and tickets.ticket_id = customer_ids.source_record_id
    where tickets.csat_score is not null
),

campaign_summary as (
    select
        customer_ids.customer_id,
        count(distinct case when campaign_members.group_name = 'target' then campaign_members.campaign_member_id end)
            as campaigns_targeted_count,
        count(distinct case when campaign_members.group_name = 'control' then campaign_members.campaign_member_id end)
            as campaigns_held_out_count,
        count(case when campaign_responses.response_type = 'open' then 1 end) as campaign_open_count,
        count(case when campaign_responses.response_type = 'click' then 1 end) as campaign_click_count,
        count(case when campaign_responses.response_type = 'convert' then 1 end) as campaign_conversion_count
    from campaign_members
    inner join customer_ids
        on customer_ids.source_name = 'crm' and campaign_members.contact_id = customer_ids.source_record_id
    left join campaign_responses on campaign_members.campaign_member_id = campaign_responses.campaign_member_id
    group by customer_ids.customer_id
),

latest_consent as (
    select
        customer_ids.customer_id,
        consent_changes.channel,
        consent_changes.is_granted,
        row_number() over (
            partition by customer_ids.customer_id, consent_changes.channel
            order by consent_changes.changed_at desc, consent_changes.consent_change_id desc
        ) as consent_rank
    from consent_changes
    inner join customer_ids
        on customer_ids.source_name = 'crm' and consent_changes.contact_id = customer_ids.source_record_id
),

consent_summary as (
    select
        customer_id,
        {% for channel in ['email', 'sms', 'push', 'phone', 'direct_mail'] %}
            coalesce(max(case when channel = '{{ channel }}' then is_granted end), false) as has_{{ channel }}_consent
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from latest_consent
    where consent_rank = 1
    group by customer_id
),

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

preferred_channels as (
    select
        customer_id,
        channel as preferred_channel,
        row_number() over (partition by customer_id order by count(*) desc, max(ordered_at) desc) as channel_rank
    from orders
    where not is_refund
    group by customer_id, channel
),

final as (
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
        crm_summary.acquisition_source,
        crm_summary.acquisition_campaign_id,
        crm_summary.crm_created_at,
        channels_seen.source_systems,
        preferred_channels.preferred_channel,
        app_summary.app_device_types,
        app_summary.app_operating_systems,
        order_summary.first_purchase_at,
        order_summary.last_purchase_at,
        {% for channel in ['web', 'store', 'app'] %}
            order_summary.first_{{ channel }}_purchase_at,
            order_summary.last_{{ channel }}_purchase_at,
            coalesce(order_summary.{{ channel }}_order_count, 0) as {{ channel }}_order_count,
        {% endfor %}
        coalesce(order_summary.lifetime_order_count, 0) as lifetime_order_count,
        coalesce(order_summary.lifetime_refund_count, 0) as lifetime_refund_count,
        cast(coalesce(order_summary.lifetime_net_revenue, 0) as decimal(18, 2)) as lifetime_net_revenue,
        coalesce(support_summary.support_ticket_count, 0) as support_ticket_count,
        coalesce(support_summary.complaint_count, 0) as complaint_count,
        last_csat.last_csat_score,
        coalesce(campaign_summary.campaigns_targeted_count, 0) as campaigns_targeted_count,
        coalesce(campaign_summary.campaigns_held_out_count, 0) as campaigns_held_out_count,
        coalesce(campaign_summary.campaign_open_count, 0) as campaign_open_count,
        coalesce(campaign_summary.campaign_click_count, 0) as campaign_click_count,
        coalesce(campaign_summary.campaign_conversion_count, 0) as campaign_conversion_count,
        {% for channel in ['email', 'sms', 'push', 'phone', 'direct_mail'] %}
            coalesce(consent_summary.has_{{ channel }}_consent, false) and erased_customers.customer_id is null
                as has_{{ channel }}_consent,
        {% endfor %}
        coalesce(consent_summary.has_email_consent, false)
        and erased_customers.customer_id is null
        and survivorship.email is not null
        and not survivorship.is_email_bounced as is_email_contactable
    from survivorship
    inner join contact_quality on survivorship.customer_id = contact_quality.customer_id
    inner join personal_attributes on survivorship.customer_id = personal_attributes.customer_id
    left join erased_customers on survivorship.customer_id = erased_customers.customer_id
    left join channels_seen on survivorship.customer_id = channels_seen.customer_id
    left join order_summary on survivorship.customer_id = order_summary.customer_id
    left join crm_summary on survivorship.customer_id = crm_summary.customer_id
    left join app_summary on survivorship.customer_id = app_summary.customer_id
    left join support_summary on survivorship.customer_id = support_summary.customer_id
    left join last_csat on survivorship.customer_id = last_csat.customer_id and last_csat.csat_rank = 1
    left join campaign_summary on survivorship.customer_id = campaign_summary.customer_id
    left join consent_summary on survivorship.customer_id = consent_summary.customer_id
    left join preferred_channels
        on survivorship.customer_id = preferred_channels.customer_id and preferred_channels.channel_rank = 1
)

select * from final
