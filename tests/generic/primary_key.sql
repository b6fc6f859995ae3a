{#- Fails for every key (one or more columns) that occurs more than once or has a null in any of its
    columns: unique and not null in one read of the model. Meant for views, which compute their whole
    query again for every test on them: unique + not_null tests on each key column read a view three
    times over.
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
{%- endif %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
{%- if latest_column %}
where {{ latest_column }} = {{ sql_date(latest) }}
{%- endif %}
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for column in columns %}
        or {{ column }} is null
    {%- endfor %}

{% endtest %}
