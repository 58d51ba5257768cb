// label(e) instead of labels(e); the entity tables named, as there is no shared Entity label.
MATCH (e:Chemical:Disease:Gene:Variant:Species:CellLine)
WHERE e.articles > 0 AND ($type = '' OR label(e) = $type)
RETURN e.id AS id, e.name AS name, label(e) AS type, e.articles AS articles
ORDER BY articles DESC, id, type
LIMIT $limit
