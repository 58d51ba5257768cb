// list_sort instead of an ORDER BY before collect (LadybugDB's collect keeps no order).
MATCH (c:Chemical)-[r1:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]->(g:Gene)<-[r2:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]-(d:Disease {id: $disease})
WHERE NOT EXISTS { MATCH (c)-[:TREATS]->(d) }
RETURN c.id AS chemical, c.name AS name, count(DISTINCT g) AS genes, list_sort(collect(DISTINCT g.name)) AS via,
       sum(r1.evidence_count + r2.evidence_count) AS support
ORDER BY genes DESC, support DESC, chemical
LIMIT $limit
