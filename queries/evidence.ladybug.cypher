// No shared Entity label here: {label:a} is the label of entity a (a key lookup needs the label).
// The WHERE keeps one SUBJECT/OBJECT edge from matching both ends when a = b (LadybugDB does not make them distinct).
MATCH (x:{label:a} {id: $a})<-[:SUBJECT|OBJECT]-(e:Evidence)-[:SUBJECT|OBJECT]->(y:{label:b} {id: $b})
WHERE (e.subject = $a AND e.object = $b) OR (e.subject = $b AND e.object = $a)
WITH DISTINCT e
MATCH (art:Article)-[:HAS_EVIDENCE]->(e)
RETURN art.pmid AS pmid, art.year AS year, art.title AS title, art.retracted AS retracted,
       e.edge AS edge, e.relation AS relation, e.subject AS subject, e.object AS object,
       e.sentence AS sentence, e.score AS score, e.model AS model
ORDER BY coalesce(year, 0) DESC, pmid DESC, edge, subject, object
LIMIT $limit
