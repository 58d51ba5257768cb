// name: diseases-for-drug
// description: Diseases a chemical treats, prevents or lessens (TREATS edges), ranked by evidence count and score.
// param: chemical entity:Chemical  the chemical, a name or a CURIE
// param: limit int = 25  rows to return
// example: litgraph query diseases-for-drug --param chemical=metformin
MATCH (c:Chemical {id: $chemical})-[r:TREATS]->(d:Disease)
RETURN d.id AS disease, d.name AS name, r.evidence_count AS evidence_count, r.score AS score,
       r.first_year AS first_year, r.last_year AS last_year, r.pmids AS pmids
ORDER BY evidence_count DESC, score DESC, disease
LIMIT $limit
