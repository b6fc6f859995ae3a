{#- E.164 form (+<calling code><national significant number>) of a phone typed in any local format.
    `digits` is the output of phone_digits(); `calling_code`, `nsn_min` and `nsn_max` come from the
    countries seed for the record's country (or the default country when the record has none).
    Returns null when the number cannot be read as a number of that country; validity (length,
    placeholders) is judged separately so that an analyst can see what was typed. -#}
{% macro phone_to_e164(digits, calling_code, nsn_min, nsn_max) -%}
    case
        when {{ digits }} is null then null
        when {{ digits }} like '+%' then {{ digits }}
        when {{ digits }} like '00%' then '+' || substr({{ digits }}, 3)
        when {{ calling_code }} = '1' and length({{ digits }}) = 11 and {{ digits }} like '1%'
            then '+' || {{ digits }}
        when {{ digits }} like '0%' and {{ calling_code }} != '1'
            then '+' || {{ calling_code }} || substr({{ digits }}, 2)
        when length({{ digits }}) between {{ nsn_min }} and {{ nsn_max }}
            then '+' || {{ calling_code }} || {{ digits }}
        when {{ digits }} like {{ calling_code }} || '%'
            and length({{ digits }}) - length({{ calling_code }}) between {{ nsn_min }} and {{ nsn_max }}
            then '+' || {{ digits }}
    end
{%- endmacro %}
