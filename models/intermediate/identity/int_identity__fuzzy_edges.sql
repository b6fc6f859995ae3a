-- One row per probabilistic link: a source record that no strong key linked to anything
-- (a second web account under another e-mail, a ticket sent from a new address) joined to its
-- single best candidate among records that agree on the person's attributes.
-- Candidates come only from exact-match blocks (last name + postal code, last name + birth date,
-- e-mail local part), so the work stays near linear; each candidate pair is scored Fellegi-Sunter
-- style (agreement adds weight, disagreement on a stable attribute subtracts more) and kept when
-- the score reaches var('identity_fuzzy_min_score') with first and last names agreeing and the
-- postal code or the birth date agreeing (common names and e-mail local parts repeat across people).
with

source_records as (
    select
        record_key,
        first_name,
        last_name,
        email,
        postal_code,
        birth_date
    from {{ ref('int_identity__source_records') }}
),

deterministic_edges as (
    select
        record_key,
        anchor_record_key
    from {{ ref('int_identity__deterministic_edges') }}
),

linked_records as (
    select record_key from deterministic_edges
    union
    select anchor_record_key from deterministic_edges
),

records as (
    select
        source_records.record_key,
        lower(source_records.first_name) as first_name,
        lower(source_records.last_name) as last_name,
        nullif(split_part(source_records.email, '@', 1), '') as email_local_part,
        source_records.postal_code,
        source_records.birth_date,
        linked_records.record_key is null as is_unmatched
    from source_records
    left join linked_records on source_records.record_key = linked_records.record_key
),

blocked_pairs as (
    -- each block compares an unmatched record with every other record sharing the block key
    {% for block_key in [['last_name', 'postal_code'], ['last_name', 'birth_date'], ['email_local_part']] %}
        select
            unmatched.record_key,
            candidate.record_key as candidate_record_key
        from records as unmatched
        inner join records as candidate
            on
                {% for column in block_key -%}
                    unmatched.{{ column }} = candidate.{{ column }}
                    {%- if not loop.last %} and {% endif %}
                {% endfor %}
                and unmatched.record_key != candidate.record_key
        where unmatched.is_unmatched
        {% if not loop.last %}union{% endif %}
    {% endfor %}
),

scored_pairs as (
    select
        blocked_pairs.record_key,
        blocked_pairs.candidate_record_key,
        {{ name_similarity('unmatched.first_name', 'candidate.first_name') }} as first_name_similarity,
        {{ name_similarity('unmatched.last_name', 'candidate.last_name') }} as last_name_similarity,
        case
            when {{ name_similarity('unmatched.first_name', 'candidate.first_name') }} >= 0.88 then 1.0
            when unmatched.first_name is not null and candidate.first_name is not null then -2.0
            else 0.0
        end
        + case
            when {{ name_similarity('unmatched.last_name', 'candidate.last_name') }} >= 0.9 then 1.0
            when unmatched.last_name is not null and candidate.last_name is not null then -2.0
            else 0.0
        end
        + case
            when unmatched.birth_date = candidate.birth_date then 2.0
            when unmatched.birth_date is not null and candidate.birth_date is not null then -3.0
            else 0.0
        end
        + case
            when unmatched.postal_code = candidate.postal_code then 1.0
            when unmatched.postal_code is not null and candidate.postal_code is not null then -1.0
            else 0.0
        end
        + case when unmatched.email_local_part = candidate.email_local_part then 1.0 else 0.0 end
            as match_score,
        -- names and e-mail local parts repeat across namesakes: a place or a birthday must agree too
        coalesce(unmatched.postal_code = candidate.postal_code, false)
        or coalesce(unmatched.birth_date = candidate.birth_date, false) as has_strong_agreement
    from blocked_pairs
    inner join records as unmatched on blocked_pairs.record_key = unmatched.record_key
    inner join records as candidate on blocked_pairs.candidate_record_key = candidate.record_key
),

best_candidates as (
    select
        record_key,
        candidate_record_key,
        match_score,
        row_number()
            over (partition by record_key order by match_score desc, candidate_record_key asc)
            as candidate_rank,
        count(*) over (partition by record_key, match_score) as candidates_with_score
    from scored_pairs
    where
        match_score >= {{ var('identity_fuzzy_min_score') }}
        and has_strong_agreement
        and first_name_similarity >= 0.88
        and coalesce(last_name_similarity, 1.0) >= 0.9
),

final as (
    select
        record_key,
        candidate_record_key as anchor_record_key,
        'fuzzy' as match_rule,
        match_score
    from best_candidates
    -- a tie between equally good candidates is a guess, not a match
    where candidate_rank = 1 and candidates_with_score = 1
)

select
    {{ surrogate_key(['record_key', 'anchor_record_key', 'match_rule']) }} as edge_id,
    *
from final
