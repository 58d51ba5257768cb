// name: repurposing
// description: Candidate drugs for a disease: chemicals linked to genes that are linked to the disease (chemical → gene ← disease), not already known to treat it; ranked by the number of shared genes, then by the evidence behind both links; via lists the genes by name.
// param: disease entity:Disease  the disease, a name or a CURIE
// param: limit int = 25  rows to return
// example: litgraph query repurposing --param disease="breast neoplasms"
MATCH (c:Chemical)-[r1:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]->(g:Gene)<-[r2:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]-(d:Disease {id: $disease})
WHERE NOT EXISTS { MATCH (c)-[:TREATS]->(d) }
WITH c, g, r1, r2
ORDER BY g.name
RETURN c.id AS chemical, c.name AS name, count(DISTINCT g) AS genes, collect(DISTINCT g.name) AS via,
       sum(r1.evidence_count + r2.evidence_count) AS support
ORDER BY genes DESC, support DESC, chemical
LIMIT $limit
