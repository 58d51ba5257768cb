// name: evidence
// description: The papers and sentences behind the edges between two entities, newest first (then by PMID); retracted papers are flagged.
// param: a entity  one entity, a name or a CURIE
// param: b entity  the other entity, a name or a CURIE
// param: limit int = 50  rows to return
// example: litgraph query evidence --param a=lidocaine --param b="cardiac asystole"
// Bounded by the aggregated edges between a and b: each lists the PMIDs of its evidence in this query's
// order (newest first, then by PMID), so the first $limit of each edge are all that can be returned; an
// Evidence node's key is PMID|EDGE|SUBJECT|OBJECT, so each is one key lookup (never a walk over the evidence
// of a popular entity), and so is its article (Evidence.pmid).
MATCH (:Entity {id: $a})-[r:INDUCES|TREATS|POSITIVELY_CORRELATED_WITH|NEGATIVELY_CORRELATED_WITH|ASSOCIATED_WITH|BINDS|COTREATED_WITH|COMPARED_WITH|INTERACTS_WITH|CONVERTS_TO]-(:Entity {id: $b})
WITH r, type(r) AS edge
UNWIND r.pmids[0..$limit] AS pmid
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
