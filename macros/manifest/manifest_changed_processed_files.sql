{#- SQL for the files the calling model recorded as processed (manifest_record_downstream_progress) that
    no base model holds as recorded any more: redelivered with other content, or removed. A row that
    vanished with such a file leaves no trace of its customer downstream, so a model keyed by customer
    redoes every customer when this is not empty. -#}
{% macro manifest_changed_processed_files() -%}
    {%- set progress = ref('load_manifest_progress') -%}
    {%- set file_columns = 'source_name, table_name, load_date, filename, fingerprint' -%}
    select {{ file_columns }} from {{ progress }}
    where model_name = '{{ model.name }}'
    except
    select {{ file_columns }} from {{ progress }}
    where model_name = 'base_' || source_name || '__' || table_name
{%- endmacro %}

{#- Whether manifest_changed_processed_files has a row, asked of the warehouse when an incremental model
    runs, so that the model's SQL holds its redo-every-customer branch only on the rare run that needs it
    (a branch gated in SQL would be planned, and its scans read, every day). False at parse time and on a
    full refresh. -#}
{% macro manifest_processed_files_changed() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set changed = run_query(
        'select count(*) from (' ~ manifest_changed_processed_files() ~ ') as changed_files'
    ).columns[0].values()[0] -%}
    {{ return(changed > 0) }}
{%- endmacro %}

{#- The load dates of manifest_changed_load_dates whose stored rows the calling model must read again,
    as SQL date literals: those it has processed a file of before (a file there was redelivered or
    removed, or a new one came in beside it, which can quarantine a stored row as a conflicting value in
    its load), or every changed date when it has recorded no run yet. A stored row may be gone, or come
    from an older load now, only on these dates. Asked of the warehouse when the model runs, so that a fact
    keyed by row (fct_orders, fct_customer_events) re-reads its stored loads only on the run that needs it:
    on an ordinary day the day's loads are new, and the re-read computed the id of every event in the
    history to match none. Empty at parse time and on a full refresh. -#}
{% macro manifest_reloaded_load_date_list() -%}
    {%- set reloaded_dates = [] -%}
    {%- if execute and is_incremental() -%}
        {%- set progress = ref('load_manifest_progress') -%}
        {%- set model_files = progress ~ " where model_name = '" ~ model.name ~ "'" -%}
        {%- set query -%}
            select distinct changed.load_date
            from ({{ manifest_changed_load_dates() }}) as changed
            where
                not exists (select 1 from {{ model_files }})
                or changed.load_date in (select load_date from {{ model_files }})
        {%- endset -%}
        {%- for row in run_query(query).rows -%}
            {%- do reloaded_dates.append(sql_date(row[0])) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(reloaded_dates) }}
{%- endmacro %}
