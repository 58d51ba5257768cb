// name: path
// description: A shortest path (up to 6 hops) between two different entities over the relation edges and the articles that mention them; of several shortest paths, the first by node ids, then edge types.
// param: a entity  where the path starts, a name or a CURIE
// param: b entity  where it ends, a name or a CURIE
// example: litgraph query path --param a=cocaine --param b=MESH:D009203
MATCH (x:Entity {id: $a}), (y:Entity {id: $b})
WHERE x <> y
MATCH p = allShortestPaths((x)-[:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS*..6]-(y))
WITH [n IN nodes(p) | coalesce(n.id, n.pmid)] AS ids,
     [n IN nodes(p) | coalesce(n.name, n.title)] AS names,
     [n IN nodes(p) | [l IN labels(n) WHERE l <> 'Entity'][0]] AS labels,
     [r IN relationships(p) | type(r)] AS edges,
     length(p) AS hops
WITH ids, names, labels, edges, hops, reduce(k = '', i IN ids | k + ' ' + i) AS by_ids,
     reduce(k = '', t IN edges | k + ' ' + t) AS by_edges
ORDER BY by_ids, by_edges
LIMIT 1
RETURN ids, names, labels, edges, hops
