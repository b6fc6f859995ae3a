{#- Fails for every key (one or more columns) that occurs more than once or has a null in any of its
    columns: unique and not null in one test. Meant for views, which compute their whole query again for
    every test on them: unique + not_null tests on each key column read a view three times over.
    Over every row, on DuckDB the grouped query runs behind key_repeat_gate (macros/utils): grouping a
    long key costs more than computing most views twice. Not at the latest date, where a view computes
    many rows into few: a second computation would cost more than the grouping saves (10.4 s against
    5.5 s for int_customers__engagement_features at 1M customers).
    With `latest_column` and `latest_from`, only the rows whose latest_column (a date) is the newest date
    of that column in the relation latest_from are tested, as a literal the view's scans filter on: for a
    view over the whole history, whose full read costs each daily run more as the history grows, while
    the table built from it tests its key over every row it stores. -#}
{% test primary_key(model, columns, latest_column=none, latest_from=none) %}
{%- set latest = none -%}
{%- if (latest_column is none) != (latest_from is none) -%}
    {{ exceptions.raise_compiler_error('primary_key: latest_column and latest_from go together, got only one of them') }}
{%- endif -%}
{%- if latest_column and execute -%}
    {%- set latest = run_query(
        'select cast(cast(max(' ~ latest_column ~ ') as date) as string) from ' ~ latest_from
    ).columns[0].values()[0] -%}
{%- endif -%}
{%- set latest_filter = latest_column ~ ' = ' ~ sql_date(latest) if latest_column else none %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
{%- if latest_filter %}
where {{ latest_filter }}
{%- else %}
where {{ key_repeat_gate(model, columns, nulls_fail=true) }}
{%- endif %}
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for column in columns %}
        or {{ column }} is null
    {%- endfor %}

{% endtest %}
