-- One row per customer-bearing source record: the nodes of the identity graph.
-- record_key ('<source>:<id>') is what identity work joins on; first_loaded_date orders records
-- by when the warehouse first saw them, which keeps customer ids stable as data arrives.
with

record_versions as (
    select
        record_key,
        source_name,
        source_record_id,
        record_created_at,
        version_at,
        load_date,
        first_name,
        last_name,
        email,
        postal_code,
        birth_date
    from {{ ref('int_identity__record_versions') }}
),

latest_versions as (
    select
        record_key,
        first_name,
        last_name,
        email,
        postal_code,
        birth_date,
        row_number() over (partition by record_key order by version_at desc, load_date desc) as version_rank
    from record_versions
),

record_dates as (
    select
        record_key,
        source_name,
        source_record_id,
        min(record_created_at) as record_created_at,
        min(load_date) as first_loaded_date,
        max(version_at) as last_updated_at
    from record_versions
    group by record_key, source_name, source_record_id
),

final as (
    select
        record_dates.record_key,
        record_dates.source_name,
        record_dates.source_record_id,
        record_dates.record_created_at,
        record_dates.first_loaded_date,
        record_dates.last_updated_at,
        latest_versions.first_name,
        latest_versions.last_name,
        latest_versions.email,
        latest_versions.postal_code,
        latest_versions.birth_date
    from record_dates
    inner join latest_versions
        on record_dates.record_key = latest_versions.record_key and latest_versions.version_rank = 1
)

select * from final
