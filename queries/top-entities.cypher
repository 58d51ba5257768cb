// name: top-entities
// description: The entities mentioned in the most articles, optionally of one type (Chemical, Disease, Gene, ...).
// param: type str = ""  an entity type, or empty for all
// param: limit int = 25  rows to return
// example: litgraph query top-entities --param type=Chemical --param limit=10
// e.articles is the precomputed number of articles that mention e (indexed on Neo4j, so read in its order).
MATCH (e:Entity)
WHERE e.articles > 0 AND ($type = '' OR $type IN labels(e))
RETURN e.id AS id, e.name AS name, [l IN labels(e) WHERE l <> 'Entity'][0] AS type, e.articles AS articles
ORDER BY articles DESC, id, type
LIMIT $limit
