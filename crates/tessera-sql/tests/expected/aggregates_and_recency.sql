-- sum(Order Completed.revenue in last 90d) > 500 or avg(Order Completed.shipping.cost) < 5 and last(Login) more than 30d ago
-- as of 2026-10-01T00:00:00Z

-- duckdb
WITH c1 AS (
  SELECT
    e.profile_id,
    SUM(CASE WHEN json_type(json_extract(e.doc, '/revenue')) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN CAST(json_extract(e.doc, '/revenue') AS DOUBLE) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1783036800000
    ) AS e
  WHERE
    COALESCE(json_type(json_extract(e.doc, '/revenue')) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT'), false)
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    AVG(CASE WHEN json_type(CASE WHEN json_type(json_extract(e.doc, '/shipping.cost')) <> 'NULL' THEN json_extract(e.doc, '/shipping.cost') ELSE CASE WHEN json_type(e.doc, '/shipping') = 'OBJECT' THEN json_extract(e.doc, '/shipping/cost') END END) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN CAST(CASE WHEN json_type(json_extract(e.doc, '/shipping.cost')) <> 'NULL' THEN json_extract(e.doc, '/shipping.cost') ELSE CASE WHEN json_type(e.doc, '/shipping') = 'OBJECT' THEN json_extract(e.doc, '/shipping/cost') END END AS DOUBLE) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000
    ) AS e
  WHERE
    COALESCE(json_type(CASE WHEN json_type(json_extract(e.doc, '/shipping.cost')) <> 'NULL' THEN json_extract(e.doc, '/shipping.cost') ELSE CASE WHEN json_type(e.doc, '/shipping') = 'OBJECT' THEN json_extract(e.doc, '/shipping/cost') END END) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT'), false)
  GROUP BY
    e.profile_id
), c3 AS (
  SELECT
    e.profile_id,
    MAX(e.ts) AS v,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Login' AND e.ts <= 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
WHERE
  COALESCE(c1.v, 0) > CAST(500 AS DOUBLE) OR (COALESCE(c2.matched, 0) = 1 AND c2.v < CAST(5 AS DOUBLE) AND COALESCE(c3.matched, 0) = 1 AND c3.v <= 1788220800000) ORDER BY p.profile_id;

-- postgres
WITH c1 AS (
  SELECT
    e.profile_id,
    SUM(CASE WHEN jsonb_typeof(e.doc -> 'revenue') = 'number' THEN CAST(e.doc -> 'revenue' AS DOUBLE PRECISION) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1783036800000
    ) AS e
  WHERE
    COALESCE(jsonb_typeof(e.doc -> 'revenue') = 'number', false)
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    AVG(CASE WHEN jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'shipping.cost') <> 'null' THEN e.doc -> 'shipping.cost' ELSE (e.doc -> 'shipping') -> 'cost' END) = 'number' THEN CAST(CASE WHEN jsonb_typeof(e.doc -> 'shipping.cost') <> 'null' THEN e.doc -> 'shipping.cost' ELSE (e.doc -> 'shipping') -> 'cost' END AS DOUBLE PRECISION) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000
    ) AS e
  WHERE
    COALESCE(jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'shipping.cost') <> 'null' THEN e.doc -> 'shipping.cost' ELSE (e.doc -> 'shipping') -> 'cost' END) = 'number', false)
  GROUP BY
    e.profile_id
), c3 AS (
  SELECT
    e.profile_id,
    MAX(e.ts) AS v,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Login' AND e.ts <= 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
WHERE
  COALESCE(c1.v, 0) > CAST(500 AS DOUBLE PRECISION) OR (COALESCE(c2.matched, 0) = 1 AND c2.v < CAST(5 AS DOUBLE PRECISION) AND COALESCE(c3.matched, 0) = 1 AND c3.v <= 1788220800000) ORDER BY p.profile_id;

-- spark
WITH c1 AS (
  SELECT
    e.profile_id,
    SUM(CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["revenue"]', 'variant')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(try_variant_get(e.doc, '$["revenue"]', 'variant')) LIKE 'DECIMAL%' THEN try_variant_get(try_variant_get(e.doc, '$["revenue"]', 'variant'), '$', 'double') END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1783036800000
    ) AS e
  WHERE
    COALESCE(schema_of_variant(try_variant_get(e.doc, '$["revenue"]', 'variant')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(try_variant_get(e.doc, '$["revenue"]', 'variant')) LIKE 'DECIMAL%', false)
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    AVG(CASE WHEN schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["shipping.cost"]', 'variant')) THEN try_variant_get(e.doc, '$["shipping.cost"]', 'variant') ELSE try_variant_get(e.doc, '$["shipping"]["cost"]', 'variant') END) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["shipping.cost"]', 'variant')) THEN try_variant_get(e.doc, '$["shipping.cost"]', 'variant') ELSE try_variant_get(e.doc, '$["shipping"]["cost"]', 'variant') END) LIKE 'DECIMAL%' THEN try_variant_get(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["shipping.cost"]', 'variant')) THEN try_variant_get(e.doc, '$["shipping.cost"]', 'variant') ELSE try_variant_get(e.doc, '$["shipping"]["cost"]', 'variant') END, '$', 'double') END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000
    ) AS e
  WHERE
    COALESCE(schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["shipping.cost"]', 'variant')) THEN try_variant_get(e.doc, '$["shipping.cost"]', 'variant') ELSE try_variant_get(e.doc, '$["shipping"]["cost"]', 'variant') END) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["shipping.cost"]', 'variant')) THEN try_variant_get(e.doc, '$["shipping.cost"]', 'variant') ELSE try_variant_get(e.doc, '$["shipping"]["cost"]', 'variant') END) LIKE 'DECIMAL%', false)
  GROUP BY
    e.profile_id
), c3 AS (
  SELECT
    e.profile_id,
    MAX(e.ts) AS v,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Login' AND e.ts <= 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
WHERE
  COALESCE(c1.v, 0) > CAST(500 AS DOUBLE) OR (COALESCE(c2.matched, 0) = 1 AND c2.v < CAST(5 AS DOUBLE) AND COALESCE(c3.matched, 0) = 1 AND c3.v <= 1788220800000) ORDER BY p.profile_id;

-- bigquery
WITH c1 AS (
  SELECT
    e.profile_id,
    SUM(CASE WHEN JSON_TYPE(e.doc['revenue']) = 'number' THEN FLOAT64(e.doc['revenue']) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1783036800000
    ) AS e
  WHERE
    COALESCE(JSON_TYPE(e.doc['revenue']) = 'number', false)
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    AVG(CASE WHEN JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['shipping.cost']) <> 'null' THEN e.doc['shipping.cost'] ELSE e.doc['shipping']['cost'] END) = 'number' THEN FLOAT64(CASE WHEN JSON_TYPE(e.doc['shipping.cost']) <> 'null' THEN e.doc['shipping.cost'] ELSE e.doc['shipping']['cost'] END) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000
    ) AS e
  WHERE
    COALESCE(JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['shipping.cost']) <> 'null' THEN e.doc['shipping.cost'] ELSE e.doc['shipping']['cost'] END) = 'number', false)
  GROUP BY
    e.profile_id
), c3 AS (
  SELECT
    e.profile_id,
    MAX(e.ts) AS v,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Login' AND e.ts <= 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
WHERE
  COALESCE(c1.v, 0) > CAST(500 AS FLOAT64) OR (COALESCE(c2.matched, 0) = 1 AND c2.v < CAST(5 AS FLOAT64) AND COALESCE(c3.matched, 0) = 1 AND c3.v <= 1788220800000) ORDER BY p.profile_id;

-- snowflake
WITH c1 AS (
  SELECT
    e.profile_id,
    SUM(CASE WHEN TYPEOF(GET(e.doc, 'revenue')) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN TO_DOUBLE(GET(e.doc, 'revenue')) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1783036800000
    ) AS e
  WHERE
    COALESCE(TYPEOF(GET(e.doc, 'revenue')) IN ('INTEGER', 'DECIMAL', 'DOUBLE'), false)
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    AVG(CASE WHEN TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'shipping.cost')) THEN GET(e.doc, 'shipping.cost') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'shipping')) THEN GET(GET(e.doc, 'shipping'), 'cost') END END) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN TO_DOUBLE(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'shipping.cost')) THEN GET(e.doc, 'shipping.cost') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'shipping')) THEN GET(GET(e.doc, 'shipping'), 'cost') END END) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000
    ) AS e
  WHERE
    COALESCE(TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'shipping.cost')) THEN GET(e.doc, 'shipping.cost') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'shipping')) THEN GET(GET(e.doc, 'shipping'), 'cost') END END) IN ('INTEGER', 'DECIMAL', 'DOUBLE'), false)
  GROUP BY
    e.profile_id
), c3 AS (
  SELECT
    e.profile_id,
    MAX(e.ts) AS v,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Login' AND e.ts <= 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
WHERE
  COALESCE(c1.v, 0) > CAST(500 AS DOUBLE) OR (COALESCE(c2.matched, 0) = 1 AND c2.v < CAST(5 AS DOUBLE) AND COALESCE(c3.matched, 0) = 1 AND c3.v <= 1788220800000) ORDER BY p.profile_id;

-- clickhouse
WITH c1 AS (
  SELECT
    e.profile_id,
    SUM(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'revenue')) IN ('Int64', 'UInt64', 'Double') THEN JSONExtractFloat(JSONExtractRaw(e.doc, 'revenue')) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1783036800000
    ) AS e
  WHERE
    COALESCE(JSONType(JSONExtractRaw(e.doc, 'revenue')) IN ('Int64', 'UInt64', 'Double'), false)
  GROUP BY
    e.profile_id
), c2 AS (
  SELECT
    e.profile_id,
    AVG(CASE WHEN JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'shipping.cost')) <> 'Null' THEN JSONExtractRaw(e.doc, 'shipping.cost') ELSE JSONExtractRaw(e.doc, 'shipping', 'cost') END) IN ('Int64', 'UInt64', 'Double') THEN JSONExtractFloat(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'shipping.cost')) <> 'Null' THEN JSONExtractRaw(e.doc, 'shipping.cost') ELSE JSONExtractRaw(e.doc, 'shipping', 'cost') END) END) AS v,
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
        e.name = 'Order Completed' AND e.ts <= 1790812800000
    ) AS e
  WHERE
    COALESCE(JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'shipping.cost')) <> 'Null' THEN JSONExtractRaw(e.doc, 'shipping.cost') ELSE JSONExtractRaw(e.doc, 'shipping', 'cost') END) IN ('Int64', 'UInt64', 'Double'), false)
  GROUP BY
    e.profile_id
), c3 AS (
  SELECT
    e.profile_id,
    MAX(e.ts) AS v,
    1 AS matched
  FROM
    events AS e
  WHERE
    e.name = 'Login' AND e.ts <= 1790812800000
  GROUP BY
    e.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
WHERE
  COALESCE(c1.v, 0) > CAST(500 AS DOUBLE) OR (COALESCE(c2.matched, 0) = 1 AND c2.v < CAST(5 AS DOUBLE) AND COALESCE(c3.matched, 0) = 1 AND c3.v <= 1788220800000) ORDER BY p.profile_id;
