// name: drugs-for-disease
// description: Chemicals that treat, prevent or lessen a disease (TREATS edges), ranked by evidence count and score.
// param: disease entity:Disease  the disease, a name or a CURIE
// param: limit int = 25  rows to return
// example: litgraph query drugs-for-disease --param disease="lactic acidosis"
MATCH (c:Chemical)-[r:TREATS]->(d:Disease {id: $disease})
RETURN c.id AS chemical, c.name AS name, r.evidence_count AS evidence_count, r.score AS score,
       r.first_year AS first_year, r.last_year AS last_year, r.pmids AS pmids
ORDER BY evidence_count DESC, score DESC, chemical
LIMIT $limit
