{#- customer_rfm_history's reopening days (customer_id, purchase_date): the purchase days of orders
    loaded since its last run (minus var('incremental_lookback_days')) that customer_purchase_days
    wrote since then - its lookback re-reads processed loads but rewrites only customers whose days
    changed - and every day of the survivors of identity merges since then. Their customers are
    recomputed from the month of the earliest one. Used by the model and by its pre-hook, which
    must agree. -#}
{% macro history_reopening_days(purchase_days, merges) -%}
    select
        customer_id,
        purchase_date
    from {{ purchase_days }}
    where
        (
            loaded_date > (
                select max(source_loaded_date) - interval '{{ var("incremental_lookback_days") }} days'
                from {{ this }}
            )
            and processed_at > (select max(history_processed_at) from {{ this }})
        )
        or customer_id in (
            select new_customer_id from {{ merges }}
            where merged_at > (select max(history_processed_at) from {{ this }})
        )
{%- endmacro %}
