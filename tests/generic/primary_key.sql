{#- Fails for every key (one or more columns) that occurs more than once or has a null in any of its
    columns: unique and not null in one read of the model. Meant for views, which compute their whole
    query again for every test on them: unique + not_null tests on each key column read a view three
    times over. -#}
{% test primary_key(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for column in columns %}
        or {{ column }} is null
    {%- endfor %}

{% endtest %}
