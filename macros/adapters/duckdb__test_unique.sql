{#- dbt's own `unique` test, on DuckDB behind key_repeat_gate (macros/utils): the same query and failing
    rows as dbt's default__test_unique, which reads the model once more only when a key may repeat.
    dbt dispatches test_unique in its own namespace to the root project first; Spark keeps dbt's. -#}
{% macro duckdb__test_unique(model, column_name) %}

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where
    {{ column_name }} is not null
    and {{ key_repeat_gate(model, [column_name], where=column_name ~ ' is not null') }}
group by {{ column_name }}
having count(*) > 1

{% endmacro %}
