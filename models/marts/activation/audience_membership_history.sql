-- One row per audience, customer and build in which the customer entered or left the audience
-- (audience_members, holdouts included). Incremental, append only: each build compares the members
-- now with each customer's latest change so far, so a build that changes nothing adds nothing and
-- the table replays who was in an audience at any past build. A customer who is erased, stops
-- consenting or is merged into another id leaves; an audience removed from the seed loses everyone.
-- An erased customer's rows are deleted (delete_erased_audience_history), not closed with a 'left'.
-- depends_on: {{ ref('dim_customers') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_erased_audience_history(this, ref('dim_customers')) }}"
    )
}}

with

members as (
    select
        audience_name,
        customer_id
    from {{ ref('audience_members') }}
),

{% if is_incremental() %}
history as (
    select
        audience_name,
        customer_id,
        change_type,
        built_at
    from {{ this }}
),
{% endif %}

latest_changes as (
    {% if is_incremental() %}
        select
            audience_name,
            customer_id,
            change_type,
            row_number() over (partition by audience_name, customer_id order by built_at desc) as change_rank
        from history
    {% else %}
        select
            cast(null as string) as audience_name,
            cast(null as string) as customer_id,
            cast(null as string) as change_type,
            1 as change_rank
        where false
    {% endif %}
),

previous_members as (
    select
        audience_name,
        customer_id
    from latest_changes
    where change_rank = 1 and change_type = 'entered'
),

changes as (
    select
        members.audience_name,
        members.customer_id,
        'entered' as change_type
    from members
    left join previous_members
        on members.audience_name = previous_members.audience_name and members.customer_id = previous_members.customer_id
    where previous_members.customer_id is null
    union all
    select
        previous_members.audience_name,
        previous_members.customer_id,
        'left' as change_type
    from previous_members
    left join members
        on previous_members.audience_name = members.audience_name and previous_members.customer_id = members.customer_id
    where members.customer_id is null
),

final as (
    select
        {{ surrogate_key(['audience_name', 'customer_id', "'" ~ run_started_at.isoformat() ~ "'"]) }}
            as membership_change_id,
        audience_name,
        customer_id,
        change_type,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as built_at,
        cast('{{ run_started_at.strftime("%Y-%m-%d") }}' as date) as built_date
    from changes
)

select * from final
