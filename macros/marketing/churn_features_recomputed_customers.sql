{#- The customers an incremental churn_features run recomputes at every as-of date it does not redo
    whole, as SQL string literals asked of the warehouse when the model runs, so that a filter on them
    reaches the scans under the feature views (a subquery would not be pushed down and would compute
    every customer): those with a customer_rfm_history row of an as-of date's month written since the
    model last ran (a late order, a merge, a score that moved) and those whose source records moved to
    or from them since (customer_identity_snapshot: their events moved). None when there are more than
    `limit`: the run then redoes whole every as-of date whose month customer_rfm_history rewrote. -#}
{% macro churn_features_recomputed_customers(limit) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set last_run = '(select max(features_processed_at) from ' ~ this ~ ')' -%}
    {%- set customers = run_query(
        "select customer_id from " ~ ref('customer_rfm_history') ~ "
        where history_processed_at > " ~ last_run ~ "
            and calendar_month_end_date in (
                select calendar_month_end_date from " ~ ref('int_customers__churn_as_of_dates') ~ ")
        union
        select customer_id from " ~ ref('customer_identity_snapshot') ~ "
        where (dbt_valid_from > " ~ last_run ~ " or dbt_valid_to > " ~ last_run ~ ") and customer_id is not null
        order by 1
        limit " ~ (limit + 1)
    ).columns[0].values() -%}
    {%- if customers | length > limit -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for customer_id in customers -%}
        {%- do literals.append(sql_string(customer_id)) -%}
    {%- endfor -%}
    {{ return(literals) }}
{%- endmacro %}

{#- var('churn_recompute_customer_limit') as a whole number >= 0, or one line naming the bad value. -#}
{% macro churn_recompute_customer_limit() -%}
    {%- set limit = var('churn_recompute_customer_limit') | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{1,9}', limit) -%}
        {{ exceptions.raise_compiler_error(
            "var churn_recompute_customer_limit must be a whole number of customers (0-999999999), got '"
            ~ var('churn_recompute_customer_limit') ~ "'"
        ) }}
    {%- endif -%}
    {{ return(limit | int) }}
{%- endmacro %}
