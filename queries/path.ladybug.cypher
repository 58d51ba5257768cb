// Kuzu's shortest-path syntax, label() and list_transform instead of shortestPath, labels(), type() and
// comprehensions; list_to_string for the tie-break key (Kuzu cannot order by a list);
// {label:a} is the label of entity a (a key lookup needs the label here).
// Three statements, tried in turn until one has a row (litgraph.query.statements): a direct edge, then two
// hops as a join of both ends' neighbours, and only then the recursive ALL SHORTEST, which expands every
// node within reach of a (from a popular entity, every article that mentions it and all they mention) and
// took 100-300 ms at 50,000 articles where the join takes a few. Each gives the row the recursive query
// would: the shortest paths of that length ordered by node ids, then edge types.
MATCH (x:{label:a} {id: $a})-[r:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS]-(y:{label:b} {id: $b})
WHERE x.id <> y.id
WITH x, y, label(r) AS edge
ORDER BY edge
LIMIT 1
RETURN [x.id, y.id] AS ids, [x.name, y.name] AS names, [label(x), label(y)] AS labels, [edge] AS edges, 1 AS hops
;
MATCH (x:{label:a} {id: $a})-[r1:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS]-(m)-[r2:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS]-(y:{label:b} {id: $b})
WHERE x.id <> y.id
WITH x, m, y, [x.id, coalesce(m.id, m.pmid), y.id] AS ids, [label(r1), label(r2)] AS edges
WITH x, m, y, ids, edges, list_to_string(' ', ids) AS by_ids, list_to_string(' ', edges) AS by_edges
ORDER BY by_ids, by_edges
LIMIT 1
RETURN ids, [x.name, coalesce(m.name, m.title), y.name] AS names, [label(x), label(m), label(y)] AS labels, edges, 2 AS hops
;
MATCH p = (x:{label:a} {id: $a})-[r:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS* ALL SHORTEST 1..6]-(y:{label:b} {id: $b})
WHERE x.id <> y.id
WITH list_transform(nodes(p), n -> coalesce(n.id, n.pmid)) AS ids,
     list_transform(nodes(p), n -> coalesce(n.name, n.title)) AS names,
     list_transform(nodes(p), n -> label(n)) AS labels,
     list_transform(rels(p), e -> label(e)) AS edges,
     length(p) AS hops
WITH ids, names, labels, edges, hops, list_to_string(' ', ids) AS by_ids, list_to_string(' ', edges) AS by_edges
ORDER BY by_ids, by_edges
LIMIT 1
RETURN ids, names, labels, edges, hops
