// name: new-since
// description: Relation edges whose earliest evidence was published in or after a year, newest first, then by evidence count.
// param: since int  a publication year, e.g. 2020
// param: limit int = 50  rows to return
// example: litgraph query new-since --param since=2024
// One branch per edge type: a range index on each type's first_year (schema.EDGE_INDEXES) gives its edges
// newest first, so each branch reads about $limit edges instead of every relation edge of the graph
// (Neo4j cannot seek a relationship index for several types at once); the first $limit of the union are
// the first $limit overall.
CALL {
  MATCH (s)-[r:INDUCES]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:TREATS]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:POSITIVELY_CORRELATED_WITH]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:NEGATIVELY_CORRELATED_WITH]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:ASSOCIATED_WITH]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:BINDS]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:COTREATED_WITH]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:COMPARED_WITH]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:INTERACTS_WITH]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
  UNION ALL
  MATCH (s)-[r:CONVERTS_TO]->(o) WHERE r.first_year >= $since
  WITH s, r, o ORDER BY r.first_year DESC, r.evidence_count DESC, s.id, o.id LIMIT $limit
  RETURN s, r, o
}
RETURN s.id AS subject, s.name AS subject_name, type(r) AS edge, o.id AS object, o.name AS object_name,
       r.first_year AS first_year, r.evidence_count AS evidence_count, r.score AS score, r.pmids AS pmids
ORDER BY first_year DESC, evidence_count DESC, subject, object, edge
LIMIT $limit
