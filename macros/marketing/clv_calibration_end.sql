{#- var('clv_calibration_end') checked: none when unset, else the date as 'YYYY-MM-DD'. It must be a
    date before the as-of date, since the validation's holdout is the days after it; anything else stops
    the build with one line. Called when customer_btyd_summary is compiled, after int_customers__order_summary
    is built, so that the as-of date can be read before customer_clv_fits runs (a Python model can only
    fail with a traceback). -#}
{% macro clv_calibration_end(relation, column='purchase_date') -%}
    {%- set value = var('clv_calibration_end', none) -%}
    {%- if value is none or (value | string | trim | lower) in ['', 'none', 'null'] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set valid = modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
    {%- if valid -%}
        {#- Jinja cannot catch strptime's error on 2025-02-30: check the day against the month's length -#}
        {%- set year, month, day = text[:4] | int, text[5:7] | int, text[8:] | int -%}
        {%- if year < 1 or year > 9998 or month < 1 or month > 12 or day < 1 -%}
            {%- set valid = false -%}
        {%- else -%}
            {%- set next_month = modules.datetime.date(year + month // 12, month % 12 + 1, 1) -%}
            {%- set valid = day <= (next_month - modules.datetime.timedelta(days=1)).day -%}
        {%- endif -%}
    {%- endif -%}
    {%- if not valid -%}
        {{ exceptions.raise_compiler_error("var clv_calibration_end must be a date YYYY-MM-DD, got '" ~ value ~ "'") }}
    {%- endif -%}
    {#- a unit test of the calling model mocks the relation as a CTE, which no query outside it can read -#}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set as_of = run_query('select cast(' ~ analytics_as_of_date(relation, column) ~ ' as string)').columns[0].values()[0] -%}
        {%- if as_of is not none and text >= as_of -%}
            {{ exceptions.raise_compiler_error(
                "var clv_calibration_end (" ~ text ~ ") must be before the as-of date (" ~ as_of
                ~ "): the holdout after it is empty"
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}
