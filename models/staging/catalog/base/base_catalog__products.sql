-- Every delivered row of catalog/products with parsed values and its fate in staging.
-- depends_on: {{ ref('load_manifest') }}
-- depends_on: {{ ref('load_manifest_progress') }}
with

raw_products as (
    select * from {{ raw_source('catalog', 'products') }}
),

cleaned as (
    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('product_name') }} as product_name,
        lower({{ clean_text('category') }}) as category,
        cast(list_price as decimal(18, 2)) as list_price,
        {{ parse_timestamp('updated_at') }} as updated_at,
        load_date,
        filename,
        file_row_number,
        {{ delivery_hash([
            'product_id', 'product_name', 'category', 'list_price', 'updated_at'
        ]) }} as delivery_hash
    from raw_products
),

{#- what a row says about itself, whatever other deliveries of its key say -#}
{%- set row_quarantine_reason %}
    coalesce(
        case
            when product_id is null then 'missing_key'
            when updated_at is null then 'unparseable_timestamp'
        end,
        {{ implausible_timestamp_reason('updated_at') }}
    )
{%- endset %}

fated as (
    {{ delivery_fates(
        'cleaned',
        key_columns=['product_id', 'updated_at'],
        value_columns=['product_name', 'category', 'list_price'],
        row_quarantine_reason=row_quarantine_reason
    ) }}
),

base_rows as (
    select
        product_id,
        product_name,
        category,
        list_price,
        updated_at,
        load_date,
        filename,
        file_row_number,
        delivery_rank,
        quarantine_reason,
        row_status
    from fated
),

-- processed_at: the staging view's key test groups only the keys of the last run's rows
final as (
    {{ stamped_rows('base_rows') }}
)

select * from final
