// label(r) instead of type(r); one scan of every relation edge, not a branch per edge type: LadybugDB has no
// relationship index to seek, and ten scans cost more than one.
MATCH (s)-[r:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]->(o)
WHERE r.first_year >= $since
RETURN s.id AS subject, s.name AS subject_name, label(r) AS edge, o.id AS object, o.name AS object_name,
       r.first_year AS first_year, r.evidence_count AS evidence_count, r.score AS score, r.pmids AS pmids
ORDER BY first_year DESC, evidence_count DESC, subject, object, edge
LIMIT $limit
