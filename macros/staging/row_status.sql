{#- What staging does with a raw row, so that raw = staged + quarantined + duplicate + superseded:
    - duplicate:   an identical copy of a row delivered earlier (delivery_rank > 1);
    - quarantined: unusable, with a reason (quarantine_reason not null), including every row of a key
                   delivered with different values in one load (conflicting_values_reason);
    - superseded:  a usable row whose key was delivered again later with other values (a correction);
    - staged:      the latest usable delivery of its key.
    The partition includes "is usable" so that duplicates and quarantined rows never supersede. -#}
{% macro row_status(key_columns, quarantine_reason='quarantine_reason') -%}
    case
        when delivery_rank > 1 then 'duplicate'
        when {{ quarantine_reason }} is not null then 'quarantined'
        when row_number() over (
            partition by {{ key_columns | join(', ') }}, (delivery_rank = 1 and {{ quarantine_reason }} is null)
            order by load_date desc, filename desc, file_row_number desc
        ) > 1 then 'superseded'
        else 'staged'
    end
{%- endmacro %}
