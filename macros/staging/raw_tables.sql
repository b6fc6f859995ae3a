{#- The raw tables of the contract and the column that identifies a row of each; the quality marts
    loop over this list so that a new raw table is added in one place. -#}
{% macro raw_tables() -%}
    {{ return([
        {'source': 'web', 'table': 'accounts', 'id': 'account_id'},
        {'source': 'web', 'table': 'orders', 'id': 'order_id'},
        {'source': 'web', 'table': 'order_lines', 'id': 'order_line_id'},
        {'source': 'store', 'table': 'loyalty_members', 'id': 'loyalty_card_id'},
        {'source': 'store', 'table': 'pos_transactions', 'id': 'transaction_id'},
        {'source': 'store', 'table': 'pos_transaction_lines', 'id': 'transaction_line_id'},
        {'source': 'app', 'table': 'app_users', 'id': 'app_user_id'},
        {'source': 'app', 'table': 'app_events', 'id': 'event_id'},
        {'source': 'crm', 'table': 'contacts', 'id': 'contact_id'},
        {'source': 'support', 'table': 'tickets', 'id': 'ticket_id'},
        {'source': 'marketing', 'table': 'campaigns', 'id': 'campaign_id'},
        {'source': 'marketing', 'table': 'campaign_members', 'id': 'campaign_member_id'},
        {'source': 'marketing', 'table': 'campaign_responses', 'id': 'response_id'},
        {'source': 'privacy', 'table': 'consent_changes', 'id': 'consent_change_id'},
        {'source': 'privacy', 'table': 'erasure_requests', 'id': 'erasure_request_id'},
        {'source': 'catalog', 'table': 'products', 'id': 'product_id'},
    ]) }}
{%- endmacro %}
