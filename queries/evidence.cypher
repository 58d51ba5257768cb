// name: evidence
// description: The papers and sentences behind the edges between two entities, newest first; retracted papers are flagged.
// param: a entity  one entity, a name or a CURIE
// param: b entity  the other entity, a name or a CURIE
// param: limit int = 50  rows to return
// example: litgraph query evidence --param a=lidocaine --param b="cardiac asystole"
MATCH (x:Entity {id: $a})<-[:SUBJECT|OBJECT]-(e:Evidence)-[:SUBJECT|OBJECT]->(y:Entity {id: $b})
WHERE (e.subject = $a AND e.object = $b) OR (e.subject = $b AND e.object = $a)
WITH DISTINCT e
MATCH (art:Article)-[:HAS_EVIDENCE]->(e)
RETURN art.pmid AS pmid, art.year AS year, art.title AS title, art.retracted AS retracted,
       e.edge AS edge, e.relation AS relation, e.subject AS subject, e.object AS object,
       e.sentence AS sentence, e.score AS score, e.model AS model
ORDER BY coalesce(year, 0) DESC, pmid DESC, edge, subject, object
LIMIT $limit
