{#- Fails for every combination of the columns that occurs more than once (a composite primary key).
    On DuckDB the grouped query runs behind key_repeat_gate (macros/utils). -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
where {{ key_repeat_gate(model, columns) }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
