-- Custom migration. (1) HNSW indexes only for large libraries: each library used to get its own
-- partial HNSW index at creation, and with thousands of libraries the planner opened and tested
-- thousands of indexes on every search (and every insert checked their predicates). A library now
-- gets its index when it reaches HNSW_MIN_ADAPTERS (1,000) active adapters and is scanned exactly
-- through the b-tree below that (packages/registry/src/db/hnsw.ts). Here: drop the indexes of the
-- libraries below that size, as if they had grown under the new rule.
-- (2) semla_nearest also returns each row's centroid (binary: vector_send), so the distances of a plan are recomputed in
-- float64 (pgvector computes in float32); a changed result type needs DROP + CREATE.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
    JOIN libraries l ON c.relname = 'adapters_hnsw_' || replace(l.id::text, '-', '')
    WHERE c.relkind = 'i'
      AND (SELECT count(*) FROM adapters a WHERE a.library_id = l.id AND a.status = 'active') < 1000
  LOOP
    EXECUTE format('DROP INDEX %I', r.relname);
  END LOOP;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION semla_nearest_sql(p_library uuid, p_dimension integer, p_metric text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'SELECT a.id, a.name, a.version, (a.centroid::vector(%1$s) %2$s $1::vector(%1$s))::double precision AS distance, vector_send(a.centroid) AS centroid'
    || ' FROM adapters a WHERE a.library_id = %3$L AND a.status = ''active'''
    || ' AND NOT (a.id::text = ANY($2) OR a.name = ANY($2))'
    || ' ORDER BY a.centroid::vector(%1$s) %2$s $1::vector(%1$s) LIMIT $3',
    p_dimension, CASE p_metric WHEN 'cosine' THEN '<=>' ELSE '<->' END, p_library)
$$;
--> statement-breakpoint
DROP FUNCTION semla_nearest(uuid, integer, text, text, integer, text[], boolean, integer);
--> statement-breakpoint
CREATE FUNCTION semla_nearest(
  p_library uuid, p_dimension integer, p_metric text, p_query text, p_limit integer,
  p_exclude text[], p_exact boolean, p_ef_search integer)
RETURNS TABLE (id uuid, name text, version integer, distance double precision, centroid bytea)
LANGUAGE plpgsql
SET enable_indexscan = on SET hnsw.ef_search = 40 SET hnsw.iterative_scan = 'off'
AS $$
BEGIN
  PERFORM semla_search_settings(p_exact, p_ef_search);
  RETURN QUERY EXECUTE semla_nearest_sql(p_library, p_dimension, p_metric) USING p_query, p_exclude, p_limit;
END
$$;
