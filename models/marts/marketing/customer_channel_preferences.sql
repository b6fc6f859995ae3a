-- One row per customer and campaign channel, as of the marketing as-of date (campaigns started and
-- activity before it only, so a later campaign can test the prediction). A full rebuild each run: a
-- response moves its segment's prior, and with it every row of the segment; the activity times, which
-- need every event, are kept current by customer in int_customers__activity_times.
{% set prior_contacts = var('channel_preference_prior_contacts') %}
with

customers as (
    select
        customer_id,
        has_email_consent,
        has_sms_consent,
        has_push_consent,
        has_direct_mail_consent
    from {{ ref('dim_customers') }}
),

segments as (
    select
        customer_id,
        rfm_segment
    from {{ ref('customer_rfm') }}
),

contacts as (
    select
        customer_id,
        channel,
        has_converted
    from {{ ref('int_campaign_members__responses') }}
    -- the control group was not contacted: it says nothing about a channel. Conversions only: opens
    -- cannot be observed on sms and direct mail, so only conversions compare across channels
    where
        group_name = 'target'
        and customer_id is not null
        and campaign_start_date < {{ analytics_as_of_date(ref('int_customers__purchase_days')) }}
),

activity as (
    select
        customer_id,
        most_active_hour,
        most_active_isodow,
        activity_count
    from {{ ref('int_customers__activity_times') }}
),

-- the rank breaks ties of the best channel (a segment that never converted on two channels gives its
-- customers equal rates on both): without it the pick depends on DuckDB's threads and differs between
-- builds. The cheapest channel to send wins.
channels as (
    select
        listed.channel,
        listed.channel_rank
    from (values ('email', 1), ('push', 2), ('sms', 3), ('direct_mail', 4)) as listed (channel, channel_rank)
),

customer_contacts as (
    select
        customer_id,
        channel,
        count(*) as contact_count,
        count(*) filter (where has_converted) as response_count
    from contacts
    group by 1, 2
),

customer_channels as (
    select
        customers.customer_id,
        channels.channel,
        channels.channel_rank,
        coalesce(segments.rfm_segment, 'No purchase history') as rfm_segment,
        coalesce(customer_contacts.contact_count, 0) as contact_count,
        coalesce(customer_contacts.response_count, 0) as response_count,
        case channels.channel
            when 'email' then customers.has_email_consent
            when 'sms' then customers.has_sms_consent
            when 'push' then customers.has_push_consent
            when 'direct_mail' then customers.has_direct_mail_consent
        end as has_consent
    from customers
    cross join channels
    left join segments on customers.customer_id = segments.customer_id
    left join customer_contacts
        on
            customers.customer_id = customer_contacts.customer_id
            and channels.channel = customer_contacts.channel
),

-- the prior of a customer's rate: their segment's pooled rate on the channel, or the channel's when
-- the segment was never contacted on it
segment_rates as (
    select
        rfm_segment,
        channel,
        sum(response_count) / nullif(sum(contact_count), 0) as segment_response_rate,
        sum(sum(response_count)) over (partition by channel)
        / nullif(sum(sum(contact_count)) over (partition by channel), 0) as channel_response_rate
    from customer_channels
    group by 1, 2
),

shrunk as (
    select
        customer_channels.customer_id,
        customer_channels.channel,
        customer_channels.channel_rank,
        customer_channels.rfm_segment,
        customer_channels.contact_count,
        customer_channels.response_count,
        customer_channels.has_consent,
        coalesce(segment_rates.segment_response_rate, segment_rates.channel_response_rate, 0) as prior_rate,
        (customer_channels.response_count + {{ prior_contacts }} * prior_rate)
        / (customer_channels.contact_count + {{ prior_contacts }}) as shrunk_response_rate
    from customer_channels
    inner join segment_rates
        on
            customer_channels.rfm_segment = segment_rates.rfm_segment
            and customer_channels.channel = segment_rates.channel
),

best_channels as (
    select
        customer_id,
        channel as best_channel
    from shrunk
    where has_consent
    qualify row_number() over (partition by customer_id order by shrunk_response_rate desc, channel_rank asc) = 1
),

final as (
    select
        cast(shrunk.customer_id || '|' || shrunk.channel as string) as customer_channel_id,
        cast(shrunk.customer_id as string) as customer_id,
        cast(shrunk.channel as string) as channel,
        cast(shrunk.rfm_segment as string) as rfm_segment,
        cast(shrunk.contact_count as bigint) as contact_count,
        cast(shrunk.response_count as bigint) as response_count,
        cast(shrunk.response_count / nullif(shrunk.contact_count, 0) as double) as observed_response_rate,
        cast(shrunk.prior_rate as double) as segment_response_rate,
        cast(shrunk.shrunk_response_rate as double) as shrunk_response_rate,
        coalesce(shrunk.has_consent, false) as has_consent,
        cast(best_channels.best_channel as string) as best_channel,
        coalesce(shrunk.channel = best_channels.best_channel, false) as is_best_channel,
        activity.most_active_hour,
        activity.most_active_isodow,
        coalesce(activity.activity_count, 0) as activity_count
    from shrunk
    left join best_channels on shrunk.customer_id = best_channels.customer_id
    left join activity on shrunk.customer_id = activity.customer_id
)

select * from final
