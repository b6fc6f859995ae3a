with

products as (
    select
        product_id,
        product_name,
        category,
        list_price,
        updated_at,
        load_date,
        processed_at
    from {{ ref('base_catalog__products') }}
    where row_status = 'staged'
),

final as (
    select
        {{ surrogate_key(['product_id', 'updated_at']) }} as product_version_id,
        product_id,
        product_name,
        category,
        list_price,
        updated_at,
        load_date,
        processed_at,
        row_number() over (partition by product_id order by updated_at desc, load_date desc) = 1 as is_current
    from products
)

select * from final
