-- One row per customer who has not asked to be erased, with the clear contacts activation needs to
-- reach them (names, best e-mail and phone, current address) and the consents that say whether it
-- may. Published only to the owner-only restricted file, never to the BI warehouse: the BI marts carry
-- hashes instead. Consents and contactability come from dim_customers, so both agree; erased customers
-- (int_erasure_requests__matched, through dim_customers.is_erased) never appear.
with

customers as (
    select
        customer_id,
        is_erased,
        country_code,
        has_email_consent,
        has_sms_consent,
        has_push_consent,
        has_phone_consent,
        has_direct_mail_consent,
        is_email_contactable
    from {{ ref('dim_customers') }}
),

survivorship as (
    select
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        street_address,
        city,
        postal_code
    from {{ ref('int_customers__survivorship') }}
),

final as (
    select
        customers.customer_id,
        survivorship.first_name,
        survivorship.last_name,
        survivorship.email,
        survivorship.phone,
        survivorship.street_address,
        survivorship.city,
        survivorship.postal_code,
        customers.country_code,
        customers.has_email_consent,
        customers.has_sms_consent,
        customers.has_push_consent,
        customers.has_phone_consent,
        customers.has_direct_mail_consent,
        customers.is_email_contactable
    from customers
    inner join survivorship on customers.customer_id = survivorship.customer_id
    where not customers.is_erased
)

select * from final
