// label(o) instead of labels(o); {label:entity} is the label of the entity (a key lookup needs it here).
MATCH (e:{label:entity} {id: $entity})-[c:CO_MENTIONED]-(o)
WHERE o.id <> e.id
RETURN o.id AS id, o.name AS name, label(o) AS type, c.articles AS articles
ORDER BY articles DESC, id, type
LIMIT $limit
