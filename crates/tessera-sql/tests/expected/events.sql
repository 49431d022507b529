-- count(Product Viewed where product_id = "X" and tags contains "sale" in last 7d) >= 3 and not did(Order Completed from 2026-09-01 to 2026-10-01)
-- as of 2026-10-01T00:00:00Z

-- duckdb
WITH c1 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        CAST(e.properties AS JSON) AS doc
      FROM
        events AS e
      WHERE
        e.name = 'Product Viewed' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
    ) AS e
  WHERE
    COALESCE(CASE WHEN json_type(json_extract(e.doc, '/product_id')) = 'VARCHAR' THEN json_extract_string(json_extract(e.doc, '/product_id'), '$') END = 'X', false) AND (COALESCE(contains(CASE WHEN json_type(json_extract(e.doc, '/tags')) = 'VARCHAR' THEN json_extract_string(json_extract(e.doc, '/tags'), '$') END, 'sale'), false) OR COALESCE(json_type(json_extract(e.doc, '/tags')) = 'ARRAY' AND EXISTS (SELECT 1 FROM unnest(json_extract(json_extract(e.doc, '/tags'), '$[*]')) AS u (el) WHERE COALESCE(CASE WHEN json_type(el) = 'VARCHAR' THEN json_extract_string(el, '$') END IN ('sale'), false)), false))
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts >= 1788220800000 AND e.ts < 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.n, 0) >= CAST(3 AS DOUBLE) AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- postgres
WITH c1 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        CAST(e.properties AS JSONB) AS doc
      FROM
        events AS e
      WHERE
        e.name = 'Product Viewed' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
    ) AS e
  WHERE
    COALESCE(CASE WHEN jsonb_typeof(e.doc -> 'product_id') = 'string' THEN (e.doc -> 'product_id') #>> '{}' END = 'X', false) AND (COALESCE(strpos(CASE WHEN jsonb_typeof(e.doc -> 'tags') = 'string' THEN (e.doc -> 'tags') #>> '{}' END, 'sale') > 0, false) OR COALESCE(jsonb_typeof(e.doc -> 'tags') = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements(e.doc -> 'tags') AS u (el) WHERE COALESCE(CASE WHEN jsonb_typeof(el) = 'string' THEN el #>> '{}' END IN ('sale'), false)), false))
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts >= 1788220800000 AND e.ts < 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.n, 0) >= CAST(3 AS DOUBLE PRECISION) AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- spark
WITH c1 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        parse_json(e.properties) AS doc
      FROM
        events AS e
      WHERE
        e.name = 'Product Viewed' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
    ) AS e
  WHERE
    COALESCE(CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) = 'STRING' THEN try_variant_get(try_variant_get(e.doc, '$["product_id"]', 'variant'), '$', 'string') END = 'X', false) AND (COALESCE(contains(CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["tags"]', 'variant')) = 'STRING' THEN try_variant_get(try_variant_get(e.doc, '$["tags"]', 'variant'), '$', 'string') END, 'sale'), false) OR COALESCE(schema_of_variant(try_variant_get(e.doc, '$["tags"]', 'variant')) LIKE 'ARRAY%' AND size(filter(try_variant_get(try_variant_get(e.doc, '$["tags"]', 'variant'), '$', 'array<variant>'), el -> COALESCE(CASE WHEN schema_of_variant(el) = 'STRING' THEN try_variant_get(el, '$', 'string') END IN ('sale'), false))) > 0, false))
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts >= 1788220800000 AND e.ts < 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.n, 0) >= CAST(3 AS DOUBLE) AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- bigquery
WITH c1 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc
      FROM
        events AS e
      WHERE
        e.name = 'Product Viewed' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
    ) AS e
  WHERE
    COALESCE(CASE WHEN JSON_TYPE(e.doc['product_id']) = 'string' THEN STRING(e.doc['product_id']) END = 'X', false) AND (COALESCE(STRPOS(CASE WHEN JSON_TYPE(e.doc['tags']) = 'string' THEN STRING(e.doc['tags']) END, 'sale') > 0, false) OR COALESCE(JSON_TYPE(e.doc['tags']) = 'array' AND EXISTS (SELECT 1 FROM UNNEST(JSON_QUERY_ARRAY(e.doc['tags'])) AS el WHERE COALESCE(CASE WHEN JSON_TYPE(el) = 'string' THEN STRING(el) END IN ('sale'), false)), false))
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts >= 1788220800000 AND e.ts < 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.n, 0) >= CAST(3 AS FLOAT64) AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- snowflake
WITH c1 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        PARSE_JSON(e.properties) AS doc
      FROM
        events AS e
      WHERE
        e.name = 'Product Viewed' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
    ) AS e
  WHERE
    COALESCE(CASE WHEN TYPEOF(GET(e.doc, 'product_id')) = 'VARCHAR' THEN AS_VARCHAR(GET(e.doc, 'product_id')) END = 'X', false) AND (COALESCE(CONTAINS(CASE WHEN TYPEOF(GET(e.doc, 'tags')) = 'VARCHAR' THEN AS_VARCHAR(GET(e.doc, 'tags')) END, 'sale'), false) OR COALESCE(TYPEOF(GET(e.doc, 'tags')) = 'ARRAY' AND ARRAY_SIZE(FILTER(CAST(GET(e.doc, 'tags') AS ARRAY), el -> COALESCE(CASE WHEN TYPEOF(el) = 'VARCHAR' THEN AS_VARCHAR(el) END IN ('sale'), false))) > 0, false))
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts >= 1788220800000 AND e.ts < 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.n, 0) >= CAST(3 AS DOUBLE) AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- clickhouse
WITH c1 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        e.properties AS doc
      FROM
        events AS e
      WHERE
        e.name = 'Product Viewed' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
    ) AS e
  WHERE
    COALESCE(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'product_id')) = 'String' THEN JSONExtractString(JSONExtractRaw(e.doc, 'product_id')) END = 'X', false) AND (COALESCE(position(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'tags')) = 'String' THEN JSONExtractString(JSONExtractRaw(e.doc, 'tags')) END, 'sale') > 0, false) OR COALESCE(JSONType(JSONExtractRaw(e.doc, 'tags')) = 'Array' AND arrayExists(el -> COALESCE(CASE WHEN JSONType(el) = 'String' THEN JSONExtractString(el) END IN ('sale'), false), JSONExtractArrayRaw(JSONExtractRaw(e.doc, 'tags'))), false))
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts >= 1788220800000 AND e.ts < 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.n, 0) >= CAST(3 AS DOUBLE) AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;
