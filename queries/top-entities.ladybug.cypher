// label(e) instead of labels(e).
MATCH (a:Article)-[:MENTIONS]->(e)
WHERE $type = '' OR label(e) = $type
RETURN e.id AS id, e.name AS name, label(e) AS type, count(a) AS articles
ORDER BY articles DESC, id, type
LIMIT $limit
