// Kuzu's shortest-path syntax, label() and list_transform instead of shortestPath, labels(), type() and
// comprehensions; {label:a} is the label of entity a (a key lookup needs the label here).
MATCH p = (x:{label:a} {id: $a})-[r:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO|MENTIONS* SHORTEST 1..6]-(y:{label:b} {id: $b})
RETURN list_transform(nodes(p), n -> coalesce(n.id, n.pmid)) AS ids,
       list_transform(nodes(p), n -> coalesce(n.name, n.title)) AS names,
       list_transform(nodes(p), n -> label(n)) AS labels,
       list_transform(rels(p), e -> label(e)) AS edges,
       length(p) AS hops
