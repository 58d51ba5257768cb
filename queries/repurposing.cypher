// name: repurposing
// description: Candidate drugs for a disease: chemicals linked to genes that are linked to the disease (chemical → gene ← disease), not already known to treat it; ranked by the number of shared genes, then by the evidence behind both links; via lists the genes by name.
// param: disease entity:Disease  the disease, a name or a CURIE
// param: limit int = 25  rows to return
// example: litgraph query repurposing --param disease="breast neoplasms"
// The chemicals already known to treat the disease are left out after ranking, one check per ranked chemical
// until $limit are found, rather than one per chemical-gene path before it (at 50,000 articles a popular
// disease has thousands of such paths, and the check walked each chemical's TREATS edges for every one).
MATCH (c:Chemical)-[r1:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]->(g:Gene)<-[r2:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]-(d:Disease {id: $disease})
WITH c, d, g, r1, r2
ORDER BY g.name
WITH c, d, count(DISTINCT g) AS genes, collect(DISTINCT g.name) AS via, sum(r1.evidence_count + r2.evidence_count) AS support
ORDER BY genes DESC, support DESC, c.id
WHERE NOT EXISTS { MATCH (c)-[:TREATS]->(d) }
RETURN c.id AS chemical, c.name AS name, genes, via, support
ORDER BY genes DESC, support DESC, chemical
LIMIT $limit
