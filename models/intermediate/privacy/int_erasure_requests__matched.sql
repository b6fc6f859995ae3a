-- One row per erasure request and customer it erases, with how the customer was found; a request that
-- finds nobody keeps one row with a null customer_id, so that it stays visible. A request names a CRM
-- contact or only an e-mail, and a person is many records: the request is matched
--   by contact_id:        the customer of that CRM contact;
--   by email:             every customer with a record that carried the e-mail in any version (people
--                         ask with an old address too), except an address on more records than one
--                         person has (a shop's), which does not name the requester;
--   by shared_identifier: one hop further, any other customer carrying one of the matched customers'
--                         unshared e-mails or phones - the same person, left apart by resolution.
--                         Shared identifiers (a household's landline) are not followed: they belong
--                         to other people too.
-- Erasing a customer erases all its records, so their other e-mails and phones go with it. Rebuilt
-- from staging on every run, so a late request is applied like any other.
with

erasure_requests as (
    select
        erasure_request_id,
        contact_id,
        email,
        requested_at
    from {{ ref('stg_privacy__erasure_requests') }}
),

customer_ids as (
    select
        record_key,
        source_name,
        source_record_id,
        customer_id
    from {{ ref('int_identity__customer_ids') }}
),

identifiers as (
    select
        record_key,
        identifier_type,
        identifier_value
    from {{ ref('int_identity__identifiers') }}
    where identifier_type in ('email', 'phone')
),

shared_identifiers as (
    select
        identifier_type,
        identifier_value,
        shared_reason
    from {{ ref('int_identity__shared_identifiers') }}
    where is_shared
),

customer_identifiers as (
    -- every e-mail and phone any version of any record of a customer carried, and why it is shared
    select distinct
        customer_ids.customer_id,
        identifiers.identifier_type,
        identifiers.identifier_value,
        shared_identifiers.shared_reason
    from identifiers
    inner join customer_ids on identifiers.record_key = customer_ids.record_key
    left join shared_identifiers
        on
            identifiers.identifier_type = shared_identifiers.identifier_type
            and identifiers.identifier_value = shared_identifiers.identifier_value
),

matched_by_contact as (
    select
        erasure_requests.erasure_request_id,
        customer_ids.customer_id,
        'contact_id' as matched_by,
        1 as match_priority
    from erasure_requests
    inner join customer_ids
        on customer_ids.source_name = 'crm' and erasure_requests.contact_id = customer_ids.source_record_id
),

matched_by_email as (
    select distinct
        erasure_requests.erasure_request_id,
        customer_identifiers.customer_id,
        'email' as matched_by,
        2 as match_priority
    from erasure_requests
    inner join customer_identifiers
        on
            customer_identifiers.identifier_type = 'email'
            and erasure_requests.email = customer_identifiers.identifier_value
    where coalesce(customer_identifiers.shared_reason, '') != 'too_many_records'
),

direct_matches as (
    select * from matched_by_contact
    union all
    select * from matched_by_email
),

split_matches as (
    select distinct
        direct_matches.erasure_request_id,
        other_customers.customer_id,
        'shared_identifier' as matched_by,
        3 as match_priority
    from direct_matches
    inner join customer_identifiers as matched_identifiers
        on direct_matches.customer_id = matched_identifiers.customer_id
    inner join customer_identifiers as other_customers
        on
            matched_identifiers.identifier_type = other_customers.identifier_type
            and matched_identifiers.identifier_value = other_customers.identifier_value
            and matched_identifiers.customer_id != other_customers.customer_id
    where matched_identifiers.shared_reason is null
),

all_matches as (
    select * from direct_matches
    union all
    select * from split_matches
),

ranked_matches as (
    -- a customer found several ways keeps the most direct one
    select
        erasure_request_id,
        customer_id,
        matched_by,
        row_number() over (
            partition by erasure_request_id, customer_id
            order by match_priority
        ) as match_rank
    from all_matches
),

record_counts as (
    select
        customer_id,
        count(*) as record_count
    from customer_ids
    group by customer_id
),

final as (
    select
        {{ surrogate_key(['erasure_requests.erasure_request_id', 'ranked_matches.customer_id']) }}
            as erasure_match_id,
        erasure_requests.erasure_request_id,
        ranked_matches.customer_id,
        ranked_matches.matched_by,
        coalesce(record_counts.record_count, 0) as records_affected,
        erasure_requests.contact_id is null as is_email_only_request,
        erasure_requests.requested_at
    from erasure_requests
    left join ranked_matches
        on erasure_requests.erasure_request_id = ranked_matches.erasure_request_id and ranked_matches.match_rank = 1
    left join record_counts on ranked_matches.customer_id = record_counts.customer_id
)

select * from final
