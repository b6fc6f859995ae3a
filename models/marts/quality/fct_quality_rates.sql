-- One row per raw table and quality outcome: the share of delivered rows quarantined for each
-- reason, and for contact tables the share of staged e-mails and phones in each status (corrected
-- typos, invalid, placeholder, missing). The audit watches these shares; a jump means an export broke.
with

reconciliation as (
    select
        source_name,
        table_name,
        raw_row_count
    from {{ ref('fct_raw_table_reconciliation') }}
),

quarantined_rows as (
    select
        source_name,
        table_name,
        quarantine_reason
    from {{ ref('fct_quarantined_rows') }}
),

monthly_statuses as (
    -- the staged rows' statuses counted per load month already: the whole history is their sum
    select
        source_name,
        table_name,
        measure,
        outcome,
        row_count
    from {{ ref('fct_contact_status_monthly') }}
),

quarantine_rates as (
    select
        quarantined_rows.source_name,
        quarantined_rows.table_name,
        'quarantine_reason' as measure,
        quarantined_rows.quarantine_reason as outcome,
        count(*) as row_count,
        cast(count(*) as double) / max(reconciliation.raw_row_count) as row_share
    from quarantined_rows
    inner join reconciliation
        on
            quarantined_rows.source_name = reconciliation.source_name
            and quarantined_rows.table_name = reconciliation.table_name
    group by quarantined_rows.source_name, quarantined_rows.table_name, quarantined_rows.quarantine_reason
),

status_rates as (
    select
        source_name,
        table_name,
        measure,
        outcome,
        cast(sum(row_count) as bigint) as row_count,
        cast(sum(row_count) as double) / sum(sum(row_count)) over (partition by source_name, table_name, measure)
            as row_share
    from monthly_statuses
    group by source_name, table_name, measure, outcome
),

final as (
    select
        source_name || '.' || table_name || '.' || measure || '.' || outcome as quality_rate_id,
        source_name,
        table_name,
        measure,
        outcome,
        row_count,
        row_share
    from (
        select * from quarantine_rates
        union all
        select * from status_rates
    ) as rates
)

select * from final
