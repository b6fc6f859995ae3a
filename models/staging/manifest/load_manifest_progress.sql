-- The raw files each base model has processed, one row per model and file. Only the base models' post-hook
-- (manifest_record_progress) writes it, inside their own transaction; the model itself creates the empty
-- table on a first build or a full refresh (which rebuilds every base model from all files) and adds
-- nothing on an incremental run.
{{ config(materialized='incremental', on_schema_change='fail') }}

with

final as (
    select
        cast(null as string) as model_name,
        cast(null as string) as source_name,
        cast(null as string) as table_name,
        cast(null as date) as load_date,
        cast(null as string) as filename,
        cast(null as string) as fingerprint,
        cast(null as bigint) as row_count,
        cast(null as timestamp) as processed_at
    where 1 = 0
)

select * from final
