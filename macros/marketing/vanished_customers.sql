{#- SQL for the customers the calling model stores that have no purchase day any more (none in
    int_customers__order_summary, one row per customer with days, which is smaller to read than the days):
    every day of theirs vanished (an order file withdrawn or redelivered without them, records moved to
    other customers). No run writes a row for them again, so a model derived from the purchase days keeps
    their rows unless it looks for them. The model declares a `-- depends_on:` on the order summary.
    `newest` (SQL of a date: a literal, or 'stored' for the model's newest stored period) reads only that
    period of the model (`period_column`): the monthly models and churn_features hold every customer in
    their newest one, so the pre-hooks need not read every stored customer id. -#}
{% macro vanished_customers(newest=none, period_column='calendar_month_end_date') -%}
    select customer_id from {{ this }}
    {%- if newest == 'stored' %}
    where {{ period_column }} = (select max({{ period_column }}) from {{ this }})
    {%- elif newest is not none %}
    where {{ period_column }} = {{ sql_date(newest) }}
    {%- endif %}
    except
    select customer_id from {{ ref('int_customers__order_summary') }}
{%- endmacro %}

{#- The first period (calendar month, as-of date) the calling model holds for a vanished customer
    (vanished_customers), asked of the warehouse when the model runs, or none (no such customer, parse
    time, a full refresh). The monthly models redo every month from it: the rows go, and the month's
    quintiles and counts change. Asked by the
    body, when dbt compiles it, and by the pre-hook before its delete, so both see the same stored rows. An
    ordinary day asks two small questions (the newest month, then its customers that vanished: 0.07-0.19 s
    at 1M customers); only a run that finds some reads the model's every row. -#}
{% macro vanished_customers_first_month(period_column='calendar_month_end_date') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {#- the calling models hold every customer in their newest period -#}
    {%- set newest = run_query('select max(' ~ period_column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set vanished = run_query(
        'select count(*) from (' ~ vanished_customers(newest, period_column) ~ ') as vanished'
    ).columns[0].values()[0] -%}
    {%- if vanished == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query(
        'select min(' ~ period_column ~ ') from ' ~ this
        ~ ' where customer_id in (' ~ vanished_customers(newest, period_column) ~ ')'
    ).columns[0].values()[0]) }}
{%- endmacro %}
