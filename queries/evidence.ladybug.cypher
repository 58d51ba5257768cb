// label(r) instead of type(r); no shared Entity label here: {label:a} is the label of entity a (a key lookup
// needs the label).
MATCH (:{label:a} {id: $a})-[r:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]-(:{label:b} {id: $b})
WITH r, label(r) AS edge
UNWIND r.pmids[1:$limit] AS pmid
UNWIND [pmid + '|' + edge + '|' + $a + '|' + $b, pmid + '|' + edge + '|' + $b + '|' + $a] AS key
WITH DISTINCT key
MATCH (e:Evidence {id: key})
WITH e, e.pmid AS paper
MATCH (art:Article {pmid: paper})
RETURN art.pmid AS pmid, art.year AS year, art.title AS title, art.retracted AS retracted,
       e.edge AS edge, e.relation AS relation, e.subject AS subject, e.object AS object,
       e.sentence AS sentence, e.score AS score, e.model AS model
ORDER BY coalesce(year, 0) DESC, pmid, edge, subject, object
LIMIT $limit
