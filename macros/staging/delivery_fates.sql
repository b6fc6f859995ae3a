{#- delivery_rank, quarantine_reason and row_status (see row_status) of every row of `relation`: a base
    model's cleaned rows with load_date, filename, file_row_number and delivery_hash (the delivered
    values' delivery_hash). The output is the relation's columns followed by those three.
    - key_columns: the row's key; its first column is the entity id every window partition starts with;
    - value_columns: the cleaned values compared by conflicting_values_reason;
    - row_quarantine_reason: SQL of the reason one row gives on its own (missing key, bad type...), or null.
    A key delivered once, which is nearly every row of an event or order table, is alone in each window's
    partition: its delivery_rank is 1, it conflicts with nothing and nothing supersedes it, so it is
    'staged' or 'quarantined' with its own reason. The windows run only over the rows whose id repeats or
    is missing: at 1M customers 0.71M of 35.7M app events (2.0 %). There, an identical copy is one with
    the same cleaned key and values and the same delivery_hash, so the raw values are hashed once and no
    window carries them: base_app__app_events took 107 s instead of 159-182 s on one thread under 6GB,
    with the same rows. Two deliveries that differ only in noise cleaning removes would be taken for copies
    only if their 64-bit hashes collided, and then the earlier one would be staged instead of the later,
    with the same values. The models whose ids are versions (contacts, accounts...) repeat every id, so
    they keep delivery_rank over the raw values and their windows over every row. -#}
{% macro delivery_fates(relation, key_columns, value_columns, row_quarantine_reason) -%}
    {%- set entity_id = key_columns[0] -%}
    {%- set repeated_ids -%}
        select {{ entity_id }}
        from {{ relation }}
        where {{ entity_id }} is not null
        group by {{ entity_id }}
        having count(*) > 1
    {%- endset -%}
    select
        *,
        {{ row_status(key_columns) }} as row_status
    from (
        select
            *,
            coalesce(
                {{ conflicting_values_reason(key_columns, value_columns) }},
                {{ row_quarantine_reason }}
            ) as quarantine_reason
        from (
            select
                *,
                {{ delivery_rank(key_columns + value_columns + ['delivery_hash']) }} as delivery_rank
            from {{ relation }}
            where {{ entity_id }} is null or {{ entity_id }} in ({{ repeated_ids }})
        ) as ranked_rows
    ) as repeated_rows
    union all
    select
        *,
        1 as delivery_rank,
        {{ row_quarantine_reason }} as quarantine_reason,
        case when {{ row_quarantine_reason }} is null then 'staged' else 'quarantined' end as row_status
    from {{ relation }}
    where {{ entity_id }} not in ({{ repeated_ids }})
{%- endmacro %}
