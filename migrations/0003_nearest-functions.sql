-- Custom migration: k-NN in one round trip. The search settings (hnsw.ef_search, iterative scans,
-- or index scans off for the exact search) must hold for the search statement only; as SET LOCAL
-- that took a transaction of four round trips per query, a large share of a 1-2 ms search. In a
-- function, the SET clauses restore every setting on exit, and the query is built with the library's
-- literals (id, dimension, operator) so the planner matches the library's partial HNSW index.

CREATE OR REPLACE FUNCTION semla_nearest_sql(p_library uuid, p_dimension integer, p_metric text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format(
    'SELECT a.id, a.name, a.version, (a.centroid::vector(%1$s) %2$s $1::vector(%1$s))::double precision AS distance'
    || ' FROM adapters a WHERE a.library_id = %3$L AND a.status = ''active'''
    || ' AND NOT (a.id::text = ANY($2) OR a.name = ANY($2))'
    || ' ORDER BY a.centroid::vector(%1$s) %2$s $1::vector(%1$s) LIMIT $3',
    p_dimension, CASE p_metric WHEN 'cosine' THEN '<=>' ELSE '<->' END, p_library)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION semla_search_settings(p_exact boolean, p_ef_search integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_exact THEN
    PERFORM set_config('enable_indexscan', 'off', true);
  ELSE
    PERFORM set_config('hnsw.ef_search', p_ef_search::text, true);
    PERFORM set_config('hnsw.iterative_scan', 'strict_order', true);
  END IF;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION semla_nearest(
  p_library uuid, p_dimension integer, p_metric text, p_query text, p_limit integer,
  p_exclude text[], p_exact boolean, p_ef_search integer)
RETURNS TABLE (id uuid, name text, version integer, distance double precision)
LANGUAGE plpgsql
SET enable_indexscan = on SET hnsw.ef_search = 40 SET hnsw.iterative_scan = 'off'
AS $$
BEGIN
  PERFORM semla_search_settings(p_exact, p_ef_search);
  RETURN QUERY EXECUTE semla_nearest_sql(p_library, p_dimension, p_metric) USING p_query, p_exclude, p_limit;
END
$$;
--> statement-breakpoint
-- The plan of exactly that query under exactly those settings (tests check the HNSW index is used).
CREATE OR REPLACE FUNCTION semla_explain_nearest(
  p_library uuid, p_dimension integer, p_metric text, p_query text, p_limit integer,
  p_exclude text[], p_exact boolean, p_ef_search integer)
RETURNS SETOF text
LANGUAGE plpgsql
SET enable_indexscan = on SET hnsw.ef_search = 40 SET hnsw.iterative_scan = 'off'
AS $$
BEGIN
  PERFORM semla_search_settings(p_exact, p_ef_search);
  RETURN QUERY EXECUTE 'EXPLAIN ' || semla_nearest_sql(p_library, p_dimension, p_metric) USING p_query, p_exclude, p_limit;
END
$$;
