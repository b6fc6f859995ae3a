{#- The load dates of manifest_changed_load_dates as SQL date literals, asked of the warehouse when the
    model runs (as a base model's work list is), so that they reach the scans under a staging view as
    literals: a subquery in their place would not be pushed down, and every row would be read.
    With processed_before, only the dates the calling model has processed a file of before, or every
    changed date when it has recorded no run yet: the dates whose stored rows may be gone or come from an
    older load now (a file there redelivered or removed, or a new one beside it, which can quarantine a
    stored row as a conflicting value in its load). fct_orders and fct_customer_events re-read their stored
    loads on these dates only: on an ordinary day the loads are new, and the re-read computed the id of
    every event in the history to match none. Empty at parse time. -#}
{% macro manifest_changed_load_date_list(processed_before=false) -%}
    {%- set changed_dates = [] -%}
    {%- if execute -%}
        {%- set query = manifest_changed_load_dates() -%}
        {%- if processed_before -%}
            {%- set model_files = ref('load_manifest_progress') ~ " where model_name = '" ~ model.name ~ "'" -%}
            {%- set query = 'select load_date from (' ~ query ~ ') as changed where not exists (select 1 from '
                ~ model_files ~ ') or load_date in (select load_date from ' ~ model_files ~ ')' -%}
        {%- endif -%}
        {%- for row in run_query(query).rows -%}
            {%- do changed_dates.append(sql_date(row[0])) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(changed_dates) }}
{%- endmacro %}
