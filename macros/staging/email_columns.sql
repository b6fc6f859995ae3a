{#- The standardised e-mail and its status, for a model that joined contact_reference_joins(). -#}
{% macro email_columns(cleaned_email, prefix='') -%}
    {{ email_standardised(cleaned_email, 'email_domain_typos.correct_domain', is_placeholder(cleaned_email, 'email')) }} as {{ prefix }}email,
    {{ email_status(cleaned_email, 'email_domain_typos.correct_domain', is_placeholder(cleaned_email, 'email')) }} as {{ prefix }}email_status
{%- endmacro %}
