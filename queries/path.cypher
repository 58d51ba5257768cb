// name: path
// description: A shortest path (up to 6 hops) between two entities over the relation edges and the articles that mention them.
// param: a entity  where the path starts, a name or a CURIE
// param: b entity  where it ends, a name or a CURIE
// example: litgraph query path --param a=cocaine --param b=MESH:D009203
MATCH (x:Entity {id: $a}), (y:Entity {id: $b})
MATCH p = shortestPath((x)-[:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS*..6]-(y))
RETURN [n IN nodes(p) | coalesce(n.id, n.pmid)] AS ids,
       [n IN nodes(p) | coalesce(n.name, n.title)] AS names,
       [n IN nodes(p) | [l IN labels(n) WHERE l <> 'Entity'][0]] AS labels,
       [r IN relationships(p) | type(r)] AS edges,
       length(p) AS hops
