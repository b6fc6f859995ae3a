{#- Fails for every row where the SQL expression is not true (null counts as not true); usable on a model or a column. -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
