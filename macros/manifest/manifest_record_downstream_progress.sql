{#- Post-hook of an incremental model downstream of the base models, inside its transaction: records the
    files every base model has processed as processed by this model too, so that its next run redoes only
    the loads whose files changed since (manifest_changed_load_dates), and the time of the run. Runs on a
    full refresh as well: the next run then starts from what the refresh read. -#}
{% macro manifest_record_downstream_progress() -%}
    {{ return(adapter.dispatch('manifest_record_downstream_progress', 'customer360')()) }}
{%- endmacro %}

{% macro default__manifest_record_downstream_progress() -%}
    {{ manifest_replace_progress(
        ref('load_manifest_progress'), "files.model_name = 'base_' || files.source_name || '__' || files.table_name"
    ) }}
{%- endmacro %}

{#- Spark: the models downstream of the base models are tables rebuilt whole on each run (no row-level
    delete without Delta), and the base models record no progress there. -#}
{% macro spark__manifest_record_downstream_progress() -%}
    {{ return('') }}
{%- endmacro %}
