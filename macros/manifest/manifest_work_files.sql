{#- The files an incremental base model must read, from the load manifest and what the model has
    processed (load_manifest_progress), asked of the warehouse at execution time so that the model's
    read_parquet gets a literal file list and DuckDB opens nothing else:
    - new:  files not processed yet, or redelivered with another fingerprint;
    - gone: processed files that vanished or changed (their stored rows are redone or deleted);
    - read: the new files plus every still-delivered file holding a stored row whose key (the table's id,
            cleaned) a new or gone row also has, since a row's status depends on the other rows of its key.
    A first build and a full refresh do not call it: they read every file. -#}
{% macro manifest_work_files(source_name, table_name, id_column) -%}
    {%- set kinds = run_query(
        "select kind, filename from (
            select 'new' as kind, current_files.filename
            from (" ~ load_manifest_files(source_name, table_name) ~ ") as current_files
            where current_files.source_name = '" ~ source_name ~ "' and current_files.table_name = '" ~ table_name ~ "'
              and not exists (
                  select 1 from " ~ ref('load_manifest_progress') ~ " as processed
                  where processed.model_name = '" ~ model.name ~ "'
                    and processed.filename = current_files.filename
                    and processed.fingerprint = current_files.fingerprint)
            union all
            select 'gone' as kind, processed.filename
            from " ~ ref('load_manifest_progress') ~ " as processed
            where processed.model_name = '" ~ model.name ~ "'
              and not exists (
                  select 1 from (" ~ load_manifest_files(source_name, table_name) ~ ") as current_files
                  where current_files.source_name = '" ~ source_name ~ "' and current_files.table_name = '" ~ table_name ~ "'
                    and current_files.filename = processed.filename
                    and current_files.fingerprint = processed.fingerprint)
        ) order by all"
    ) -%}
    {%- set work = {'new': [], 'gone': [], 'read': []} -%}
    {%- for row in kinds.rows -%}
        {%- do work[row[0]].append(row[1]) -%}
    {%- endfor -%}
    {%- if work.new or work.gone -%}
        {%- set keyed = run_query(
            "select distinct stored.filename from " ~ this ~ " as stored
            where coalesce(stored." ~ id_column ~ ", '') in (
                select coalesce(touched_key, '') from (" ~ manifest_touched_keys(id_column, work.new, work.gone) ~ ") as touched
            ) order by all"
        ) -%}
        {%- set read = work.new | list -%}
        {%- for row in keyed.rows if row[0] not in work.gone and row[0] not in read -%}
            {%- do read.append(row[0]) -%}
        {%- endfor -%}
        {%- do work.update({'read': read}) -%}
    {%- endif -%}
    {{ return(work) }}
{%- endmacro %}
