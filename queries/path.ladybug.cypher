// Kuzu's shortest-path syntax, label() and list_transform instead of shortestPath, labels(), type() and
// comprehensions; list_to_string for the tie-break key (Kuzu cannot order by a list);
// {label:a} is the label of entity a (a key lookup needs the label here).
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
