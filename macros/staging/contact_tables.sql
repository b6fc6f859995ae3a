{#- The staged tables that carry contacts, with their e-mail and phone status columns (none: the table has
    no phone). fct_quality_rates and fct_contact_status_monthly both read this list, so that a new contact
    source is added in one place. -#}
{% macro contact_tables() -%}
    {{ return([
        ('web', 'accounts', 'stg_web__accounts', 'email_status', 'phone_status'),
        ('store', 'loyalty_members', 'stg_store__loyalty_members', 'email_status', 'phone_status'),
        ('app', 'app_users', 'stg_app__app_users', 'email_status', none),
        ('crm', 'contacts', 'stg_crm__contacts', 'email_status', 'phone_status'),
        ('support', 'tickets', 'stg_support__tickets', 'requester_email_status', 'requester_phone_status'),
    ]) }}
{%- endmacro %}
