// name: co-mentions
// description: Entities mentioned in the same articles as an entity, ranked by the number of shared articles.
// param: entity entity  the entity, a name or a CURIE
// param: limit int = 25  rows to return
// example: litgraph query co-mentions --param entity=cisplatin
// CO_MENTIONED edges hold the precomputed number of articles that mention both ends.
MATCH (e:Entity {id: $entity})-[c:CO_MENTIONED]-(o:Entity)
WHERE o.id <> e.id
RETURN o.id AS id, o.name AS name, [l IN labels(o) WHERE l <> 'Entity'][0] AS type, c.articles AS articles
ORDER BY articles DESC, id, type
LIMIT $limit
