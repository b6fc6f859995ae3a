{#- on_schema_change: a warehouse built before this model was incremental gains candidates_fingerprint as
    nulls, so its first run redoes every customer once, rather than failing -#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ delete_tombstone_rows('candidates_fingerprint') }}"
    )
}}
-- One row per customer with the best value of each contact attribute, the source it came from and
-- when it was last seen, so an analyst can see why it won. Rules:
--   e-mail:  not bounced since last verified > verified > most recently verified > most recently seen;
--   phone:   most recently seen, CRM before web before store before support on ties;
--   address: a valid postal code first, then the most recent, CRM first (the only full address);
--   names, birth date: the value most records agree on (typos are rare and scattered), then the most recent;
--   gender:  the most recent known value in the CRM.
-- Incremental by customer: a customer's row depends on their candidates alone, so a run redoes the
-- customers whose set of candidates changed (a new or redelivered record version, a record that moved to
-- or from them in a merge or split, a vanished file) and writes a tombstone (null fingerprint, deleted by
-- the post-hook) for each stored customer left without candidates.
with

candidates as (
    select
        customer_id,
        source_name,
        seen_at,
        first_name,
        last_name,
        email,
        email_verified_at,
        email_bounced_at,
        phone,
        street_address,
        city,
        postal_code,
        is_postal_code_valid,
        country_code,
        birth_date,
        gender
    from {{ ref('int_customers__contact_candidates') }}
),

{% if is_incremental() %}
    stored_customers as (
        select
            customer_id,
            {{ stored_column('candidates_fingerprint', 'string') }} as candidates_fingerprint
        from {{ this }}
    ),
{% endif %}

fingerprints as (
    select
        customer_id,
        {{ set_hash([
            'source_name',
            'seen_at',
            'first_name',
            'last_name',
            'email',
            'email_verified_at',
            'email_bounced_at',
            'phone',
            'street_address',
            'city',
            'postal_code',
            'is_postal_code_valid',
            'country_code',
            'birth_date',
            'gender'
        ]) }} as candidates_fingerprint
    from candidates
    group by customer_id
),

-- a customer left without candidates (null fingerprint) joins nothing below: their row is their tombstone
customers as (
    {{ fingerprint_changes('fingerprints', 'stored_customers', 'customer_id', 'candidates_fingerprint') }}
),

redone_candidates as (
    select * from candidates
    {% if is_incremental() %}
        where customer_id in (select customers.customer_id from customers)
    {% endif %}
),

email_history as (
    select
        customer_id,
        email,
        max(seen_at) as last_seen_at,
        max(email_verified_at) as last_verified_at,
        max(email_bounced_at) as last_bounced_at,
        max(case when source_name = 'crm' then seen_at end) as last_seen_in_crm_at
    from redone_candidates
    where email is not null
    group by customer_id, email
),

ranked_emails as (
    select
        *,
        last_bounced_at is not null
        and (last_verified_at is null or last_bounced_at > last_verified_at) as is_bounced,
        row_number() over (
            partition by customer_id
            order by
                case
                    when
                        last_bounced_at is not null
                        and (last_verified_at is null or last_bounced_at > last_verified_at) then 1
                    else 0
                end,
                case when last_verified_at is null then 1 else 0 end,
                last_verified_at desc,
                last_seen_at desc,
                email asc
        ) as email_rank
    from email_history
),

email_sources as (
    select
        customer_id,
        email,
        source_name,
        row_number() over (partition by customer_id, email order by seen_at desc, source_name asc) as source_rank
    from redone_candidates
    where email is not null
),

ranked_phones as (
    select
        customer_id,
        phone,
        source_name,
        seen_at,
        row_number() over (
            partition by customer_id
            order by
                seen_at desc,
                case source_name when 'crm' then 1 when 'web' then 2 when 'store' then 3 else 4 end,
                phone asc
        ) as phone_rank
    from redone_candidates
    where phone is not null
),

ranked_addresses as (
    select
        customer_id,
        street_address,
        city,
        postal_code,
        country_code,
        is_postal_code_valid,
        source_name,
        seen_at,
        row_number() over (
            partition by customer_id
            order by
                case when is_postal_code_valid then 0 else 1 end,
                seen_at desc,
                case source_name when 'crm' then 1 else 2 end,
                postal_code asc
        ) as address_rank
    from redone_candidates
    where postal_code is not null or country_code is not null
),

{% for attribute in ['first_name', 'last_name', 'birth_date'] %}
    {{ attribute }}_votes as (
        select
            customer_id,
            {{ attribute }},
            row_number() over (
                partition by customer_id
                order by count(*) desc, max(seen_at) desc, {{ attribute }}
            ) as vote_rank
        from redone_candidates
        where {{ attribute }} is not null
        group by customer_id, {{ attribute }}
    ),

{% endfor %}
ranked_genders as (
    select
        customer_id,
        gender,
        row_number() over (partition by customer_id order by seen_at desc) as gender_rank
    from redone_candidates
    where source_name = 'crm' and gender != 'unknown'
),

final as (
    select
        customers.customer_id,
        customers.candidates_fingerprint,
        first_name_votes.first_name,
        last_name_votes.last_name,
        ranked_emails.email,
        email_sources.source_name as email_source,
        ranked_emails.last_seen_at as email_last_seen_at,
        ranked_emails.last_verified_at as email_verified_at,
        ranked_emails.last_bounced_at as email_bounced_at,
        coalesce(ranked_emails.is_bounced, false) as is_email_bounced,
        ranked_phones.phone,
        ranked_phones.source_name as phone_source,
        ranked_phones.seen_at as phone_last_seen_at,
        ranked_addresses.street_address,
        ranked_addresses.city,
        ranked_addresses.postal_code,
        ranked_addresses.country_code,
        coalesce(ranked_addresses.is_postal_code_valid, false) as is_postal_code_valid,
        ranked_addresses.source_name as address_source,
        ranked_addresses.seen_at as address_last_seen_at,
        birth_date_votes.birth_date,
        coalesce(ranked_genders.gender, 'unknown') as gender
    from customers
    left join ranked_emails on customers.customer_id = ranked_emails.customer_id and ranked_emails.email_rank = 1
    left join email_sources
        on
            ranked_emails.customer_id = email_sources.customer_id
            and ranked_emails.email = email_sources.email
            and email_sources.source_rank = 1
    left join ranked_phones on customers.customer_id = ranked_phones.customer_id and ranked_phones.phone_rank = 1
    left join ranked_addresses
        on customers.customer_id = ranked_addresses.customer_id and ranked_addresses.address_rank = 1
    left join first_name_votes
        on customers.customer_id = first_name_votes.customer_id and first_name_votes.vote_rank = 1
    left join last_name_votes
        on customers.customer_id = last_name_votes.customer_id and last_name_votes.vote_rank = 1
    left join birth_date_votes
        on customers.customer_id = birth_date_votes.customer_id and birth_date_votes.vote_rank = 1
    left join ranked_genders on customers.customer_id = ranked_genders.customer_id and ranked_genders.gender_rank = 1
)

select * from final
