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
    the table built from it tests its key over every row it stores.
    With `written_at`, a column holding when the run that wrote a row ran (processed_at), only the keys of
    the rows the last run wrote are grouped, with every row that holds them: for an incremental table
    whose full grouping grows with the history. It is exact for a table whose every run is tested: rows
    a run did not write are those a tested run left, and deleting rows cannot repeat a key, so a repeat
    can only involve a row of the last run. When the last run wrote half the rows or more (a full
    refresh writes them all) every row is tested behind the gate instead: joining every key with itself
    cost 32.4 s for fct_customer_events' full build at 1M customers, the gate about 5 s. -#}
{% test primary_key(model, columns, latest_column=none, latest_from=none, written_at=none) %}
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
{%- if written_at and latest_column %}
    {{ exceptions.raise_compiler_error('primary_key: written_at and latest_column are two ways to limit the test, give one') }}
{%- endif %}
{%- set last_run_only = false %}
{%- if written_at and execute %}
    {%- set written = run_query(
        'select count(*) from ' ~ model ~ ' where ' ~ written_at ~ ' = (select max(' ~ written_at ~ ') from ' ~ model ~ ')'
    ).columns[0].values()[0] %}
    {%- set stored = run_query('select count(*) from ' ~ model).columns[0].values()[0] %}
    {%- set last_run_only = written * 2 < stored %}
{%- endif %}
{%- if last_run_only %}

with

last_run_rows as (
    select {{ columns | join(', ') }}
    from {{ model }}
    where {{ written_at }} = (select max({{ written_at }}) from {{ model }})
),

written_keys as (
    select distinct {{ columns | join(', ') }}
    from last_run_rows
),

repeated_keys as (
    select
        {%- for column in columns %}
            keyed.{{ column }},
        {%- endfor %}
        count(*) as occurrences
    from {{ model }} as keyed
    inner join written_keys
        on
            {%- for column in columns %}
                keyed.{{ column }} = written_keys.{{ column }}{{ ' and' if not loop.last }}
            {%- endfor %}
    group by
        {%- for column in columns %}
            keyed.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    having count(*) > 1
),

incomplete_keys as (
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from last_run_rows
    where
        {%- for column in columns %}
            {{ column }} is null{{ ' or' if not loop.last }}
        {%- endfor %}
    group by {{ columns | join(', ') }}
)

select * from repeated_keys
union all
select * from incomplete_keys
{%- else %}

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
{%- endif %}

{% endtest %}
