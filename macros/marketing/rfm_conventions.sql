{#- The RFM conventions the vars choose, checked at compile time so a typo stops the build with one line
    instead of scoring on a silently different convention:
    - rfm_window_days: a whole number of days (365: F and M over the last year, the default) or 'lifetime'
      (every purchase, as in the RFM literature and lifetimes' summary);
    - rfm_frequency_unit: 'orders' (default) or 'purchase_days' (distinct UTC days with a non-refund order,
      the unit of the BTYD summary);
    - rfm_scoring: 'quintiles' (default) or 'thresholds'.
    Returns {window_days: int or none for lifetime, frequency_unit, scoring}. -#}
{% macro rfm_conventions() -%}
    {%- set window = var('rfm_window_days') | string | trim | lower -%}
    {%- if window == 'lifetime' -%}
        {%- set window_days = none -%}
    {%- elif modules.re.fullmatch('[1-9][0-9]{0,4}', window) -%}
        {%- set window_days = window | int -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var rfm_window_days must be a whole number of days (1-99999) or 'lifetime', got '"
            ~ var('rfm_window_days') ~ "'"
        ) }}
    {%- endif -%}
    {%- set unit = var('rfm_frequency_unit', 'orders') | string -%}
    {%- if unit not in ['orders', 'purchase_days'] -%}
        {{ exceptions.raise_compiler_error(
            "var rfm_frequency_unit must be 'orders' or 'purchase_days', got '" ~ unit ~ "'"
        ) }}
    {%- endif -%}
    {%- set scoring = var('rfm_scoring') | string -%}
    {%- if scoring not in ['quintiles', 'thresholds'] -%}
        {{ exceptions.raise_compiler_error(
            "var rfm_scoring must be 'quintiles' or 'thresholds', got '" ~ scoring ~ "'"
        ) }}
    {%- endif -%}
    {{ return({'window_days': window_days, 'frequency_unit': unit, 'scoring': scoring}) }}
{%- endmacro %}
