// name: adverse-effects
// description: For a chemical, the diseases it induces; for a disease, the chemicals that induce it (INDUCES edges), ranked by evidence count and score.
// param: entity entity:Chemical,Disease  a chemical or a disease, a name or a CURIE
// param: limit int = 25  rows to return
// example: litgraph query adverse-effects --param entity=MESH:D008012
MATCH (c:Chemical {id: $entity})-[r:INDUCES]->(d:Disease)
RETURN c.id AS chemical, c.name AS chemical_name, d.id AS disease, d.name AS disease_name,
       r.evidence_count AS evidence_count, r.score AS score, r.pmids AS pmids
ORDER BY evidence_count DESC, score DESC, disease
LIMIT $limit
UNION ALL
MATCH (c:Chemical)-[r:INDUCES]->(d:Disease {id: $entity})
RETURN c.id AS chemical, c.name AS chemical_name, d.id AS disease, d.name AS disease_name,
       r.evidence_count AS evidence_count, r.score AS score, r.pmids AS pmids
ORDER BY evidence_count DESC, score DESC, chemical
LIMIT $limit
