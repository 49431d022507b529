-- did(Added to Cart where value > 10 in last 7d then Checkout Started within 1h) or did(Added to Cart in last 7d not followed by Order Completed within 24h with same product_id, cart.id)
-- as of 2026-10-01T00:00:00Z

-- duckdb
WITH c1 AS (
  SELECT
    a.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CAST(e.properties AS JSON) AS doc
          FROM
            events AS e
          WHERE
            e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
        ) AS e
      WHERE
        COALESCE(CASE WHEN json_type(json_extract(e.doc, '/value')) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN CAST(json_extract(e.doc, '/value') AS DOUBLE) END > CAST(10 AS DOUBLE), false)
    ) AS a
    INNER JOIN (SELECT e.profile_id, e.ts FROM events AS e WHERE e.name = 'Checkout Started' AND e.ts <= 1790812800000) AS b ON b.profile_id = a.profile_id
  WHERE
    a.ts < b.ts AND a.ts >= (b.ts - 3600000)
  GROUP BY
    a.profile_id
), c2 AS (
  SELECT
    s.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        a.profile_id,
        MAX(CASE WHEN b.present = 1 AND a.ts < b.ts AND a.ts >= (b.ts - 86400000) AND COALESCE(a.same1_string = b.same1_string OR a.same1_number = b.same1_number OR a.same1_bool = b.same1_bool, false) AND COALESCE(a.same2_string = b.same2_string OR a.same2_number = b.same2_number OR a.same2_bool = b.same2_bool, false) THEN 1 ELSE 0 END) AS followed
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CASE
              WHEN json_type(json_extract(e.doc, '/product_id')) = 'VARCHAR' THEN
                json_extract_string(json_extract(e.doc, '/product_id'), '$')
            END AS same1_string,
            CASE
              WHEN json_type(json_extract(e.doc, '/product_id')) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN
                CAST(json_extract(e.doc, '/product_id') AS DOUBLE)
            END AS same1_number,
            CASE
              WHEN json_type(json_extract(e.doc, '/product_id')) = 'BOOLEAN' THEN
                CAST(json_extract(e.doc, '/product_id') AS BOOLEAN)
            END AS same1_bool,
            CASE
              WHEN json_type(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END) = 'VARCHAR' THEN
                json_extract_string(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END, '$')
            END AS same2_string,
            CASE
              WHEN json_type(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN
                CAST(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END AS DOUBLE)
            END AS same2_number,
            CASE
              WHEN json_type(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END) = 'BOOLEAN' THEN
                CAST(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END AS BOOLEAN)
            END AS same2_bool
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                CAST(e.properties AS JSON) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000 AND e.ts <= 1790726400000
            ) AS e
        ) AS a
        LEFT JOIN (SELECT e.profile_id, e.ts, CASE WHEN json_type(json_extract(e.doc, '/product_id')) = 'VARCHAR' THEN json_extract_string(json_extract(e.doc, '/product_id'), '$') END AS same1_string, CASE WHEN json_type(json_extract(e.doc, '/product_id')) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN CAST(json_extract(e.doc, '/product_id') AS DOUBLE) END AS same1_number, CASE WHEN json_type(json_extract(e.doc, '/product_id')) = 'BOOLEAN' THEN CAST(json_extract(e.doc, '/product_id') AS BOOLEAN) END AS same1_bool, CASE WHEN json_type(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END) = 'VARCHAR' THEN json_extract_string(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END, '$') END AS same2_string, CASE WHEN json_type(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN CAST(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END AS DOUBLE) END AS same2_number, CASE WHEN json_type(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END) = 'BOOLEAN' THEN CAST(CASE WHEN json_type(json_extract(e.doc, '/cart.id')) <> 'NULL' THEN json_extract(e.doc, '/cart.id') ELSE CASE WHEN json_type(e.doc, '/cart') = 'OBJECT' THEN json_extract(e.doc, '/cart/id') END END AS BOOLEAN) END AS same2_bool, 1 AS present FROM (SELECT e.profile_id, e.ts, CAST(e.properties AS JSON) AS doc FROM events AS e WHERE e.name = 'Order Completed' AND e.ts <= 1790812800000) AS e) AS b ON b.profile_id = a.profile_id
      GROUP BY
        a.profile_id, a.ts, a.same1_string, a.same1_number, a.same1_bool, a.same2_string, a.same2_number, a.same2_bool
    ) AS s
  WHERE
    s.followed = 0
  GROUP BY
    s.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 OR COALESCE(c2.matched, 0) = 1 ORDER BY p.profile_id;

-- postgres
WITH c1 AS (
  SELECT
    a.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CAST(e.properties AS JSONB) AS doc
          FROM
            events AS e
          WHERE
            e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
        ) AS e
      WHERE
        COALESCE(CASE WHEN jsonb_typeof(e.doc -> 'value') = 'number' THEN CAST(e.doc -> 'value' AS DOUBLE PRECISION) END > CAST(10 AS DOUBLE PRECISION), false)
    ) AS a
    INNER JOIN (SELECT e.profile_id, e.ts FROM events AS e WHERE e.name = 'Checkout Started' AND e.ts <= 1790812800000) AS b ON b.profile_id = a.profile_id
  WHERE
    a.ts < b.ts AND a.ts >= (b.ts - 3600000)
  GROUP BY
    a.profile_id
), c2 AS (
  SELECT
    s.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        a.profile_id,
        MAX(CASE WHEN b.present = 1 AND a.ts < b.ts AND a.ts >= (b.ts - 86400000) AND COALESCE(a.same1_string = b.same1_string OR a.same1_number = b.same1_number OR a.same1_bool = b.same1_bool, false) AND COALESCE(a.same2_string = b.same2_string OR a.same2_number = b.same2_number OR a.same2_bool = b.same2_bool, false) THEN 1 ELSE 0 END) AS followed
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CASE
              WHEN jsonb_typeof(e.doc -> 'product_id') = 'string' THEN
                (e.doc -> 'product_id') #>> '{}'
            END AS same1_string,
            CASE
              WHEN jsonb_typeof(e.doc -> 'product_id') = 'number' THEN
                CAST(e.doc -> 'product_id' AS DOUBLE PRECISION)
            END AS same1_number,
            CASE
              WHEN jsonb_typeof(e.doc -> 'product_id') = 'boolean' THEN
                CAST(e.doc -> 'product_id' AS BOOLEAN)
            END AS same1_bool,
            CASE
              WHEN jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END) = 'string' THEN
                CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END #>> '{}'
            END AS same2_string,
            CASE
              WHEN jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END) = 'number' THEN
                CAST(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END AS DOUBLE PRECISION)
            END AS same2_number,
            CASE
              WHEN jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END) = 'boolean' THEN
                CAST(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END AS BOOLEAN)
            END AS same2_bool
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                CAST(e.properties AS JSONB) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000 AND e.ts <= 1790726400000
            ) AS e
        ) AS a
        LEFT JOIN (SELECT e.profile_id, e.ts, CASE WHEN jsonb_typeof(e.doc -> 'product_id') = 'string' THEN (e.doc -> 'product_id') #>> '{}' END AS same1_string, CASE WHEN jsonb_typeof(e.doc -> 'product_id') = 'number' THEN CAST(e.doc -> 'product_id' AS DOUBLE PRECISION) END AS same1_number, CASE WHEN jsonb_typeof(e.doc -> 'product_id') = 'boolean' THEN CAST(e.doc -> 'product_id' AS BOOLEAN) END AS same1_bool, CASE WHEN jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END) = 'string' THEN CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END #>> '{}' END AS same2_string, CASE WHEN jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END) = 'number' THEN CAST(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END AS DOUBLE PRECISION) END AS same2_number, CASE WHEN jsonb_typeof(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END) = 'boolean' THEN CAST(CASE WHEN jsonb_typeof(e.doc -> 'cart.id') <> 'null' THEN e.doc -> 'cart.id' ELSE (e.doc -> 'cart') -> 'id' END AS BOOLEAN) END AS same2_bool, 1 AS present FROM (SELECT e.profile_id, e.ts, CAST(e.properties AS JSONB) AS doc FROM events AS e WHERE e.name = 'Order Completed' AND e.ts <= 1790812800000) AS e) AS b ON b.profile_id = a.profile_id
      GROUP BY
        a.profile_id, a.ts, a.same1_string, a.same1_number, a.same1_bool, a.same2_string, a.same2_number, a.same2_bool
    ) AS s
  WHERE
    s.followed = 0
  GROUP BY
    s.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 OR COALESCE(c2.matched, 0) = 1 ORDER BY p.profile_id;

-- spark
WITH c1 AS (
  SELECT
    a.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            parse_json(e.properties) AS doc
          FROM
            events AS e
          WHERE
            e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
        ) AS e
      WHERE
        COALESCE(CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["value"]', 'variant')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(try_variant_get(e.doc, '$["value"]', 'variant')) LIKE 'DECIMAL%' THEN try_variant_get(try_variant_get(e.doc, '$["value"]', 'variant'), '$', 'double') END > CAST(10 AS DOUBLE), false)
    ) AS a
    INNER JOIN (SELECT e.profile_id, e.ts FROM events AS e WHERE e.name = 'Checkout Started' AND e.ts <= 1790812800000) AS b ON b.profile_id = a.profile_id
  WHERE
    a.ts < b.ts AND a.ts >= (b.ts - 3600000)
  GROUP BY
    a.profile_id
), c2 AS (
  SELECT
    s.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        a.profile_id,
        MAX(CASE WHEN b.present = 1 AND a.ts < b.ts AND a.ts >= (b.ts - 86400000) AND COALESCE(a.same1_string = b.same1_string OR a.same1_number = b.same1_number OR a.same1_bool = b.same1_bool, false) AND COALESCE(a.same2_string = b.same2_string OR a.same2_number = b.same2_number OR a.same2_bool = b.same2_bool, false) THEN 1 ELSE 0 END) AS followed
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CASE
              WHEN schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) = 'STRING' THEN
                try_variant_get(try_variant_get(e.doc, '$["product_id"]', 'variant'), '$', 'string')
            END AS same1_string,
            CASE
              WHEN schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) LIKE 'DECIMAL%' THEN
                try_variant_get(try_variant_get(e.doc, '$["product_id"]', 'variant'), '$', 'double')
            END AS same1_number,
            CASE
              WHEN schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) = 'BOOLEAN' THEN
                try_variant_get(try_variant_get(e.doc, '$["product_id"]', 'variant'), '$', 'boolean')
            END AS same1_bool,
            CASE
              WHEN schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) = 'STRING' THEN
                try_variant_get(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END, '$', 'string')
            END AS same2_string,
            CASE
              WHEN schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) LIKE 'DECIMAL%' THEN
                try_variant_get(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END, '$', 'double')
            END AS same2_number,
            CASE
              WHEN schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) = 'BOOLEAN' THEN
                try_variant_get(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END, '$', 'boolean')
            END AS same2_bool
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                parse_json(e.properties) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000 AND e.ts <= 1790726400000
            ) AS e
        ) AS a
        LEFT JOIN (SELECT e.profile_id, e.ts, CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) = 'STRING' THEN try_variant_get(try_variant_get(e.doc, '$["product_id"]', 'variant'), '$', 'string') END AS same1_string, CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) LIKE 'DECIMAL%' THEN try_variant_get(try_variant_get(e.doc, '$["product_id"]', 'variant'), '$', 'double') END AS same1_number, CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["product_id"]', 'variant')) = 'BOOLEAN' THEN try_variant_get(try_variant_get(e.doc, '$["product_id"]', 'variant'), '$', 'boolean') END AS same1_bool, CASE WHEN schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) = 'STRING' THEN try_variant_get(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END, '$', 'string') END AS same2_string, CASE WHEN schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) LIKE 'DECIMAL%' THEN try_variant_get(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END, '$', 'double') END AS same2_number, CASE WHEN schema_of_variant(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END) = 'BOOLEAN' THEN try_variant_get(CASE WHEN NOT is_variant_null(try_variant_get(e.doc, '$["cart.id"]', 'variant')) THEN try_variant_get(e.doc, '$["cart.id"]', 'variant') ELSE try_variant_get(e.doc, '$["cart"]["id"]', 'variant') END, '$', 'boolean') END AS same2_bool, 1 AS present FROM (SELECT e.profile_id, e.ts, parse_json(e.properties) AS doc FROM events AS e WHERE e.name = 'Order Completed' AND e.ts <= 1790812800000) AS e) AS b ON b.profile_id = a.profile_id
      GROUP BY
        a.profile_id, a.ts, a.same1_string, a.same1_number, a.same1_bool, a.same2_string, a.same2_number, a.same2_bool
    ) AS s
  WHERE
    s.followed = 0
  GROUP BY
    s.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 OR COALESCE(c2.matched, 0) = 1 ORDER BY p.profile_id;

-- bigquery
WITH c1 AS (
  SELECT
    a.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc
          FROM
            events AS e
          WHERE
            e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
        ) AS e
      WHERE
        COALESCE(CASE WHEN JSON_TYPE(e.doc['value']) = 'number' THEN FLOAT64(e.doc['value']) END > CAST(10 AS FLOAT64), false)
    ) AS a
    INNER JOIN (SELECT e.profile_id, e.ts FROM events AS e WHERE e.name = 'Checkout Started' AND e.ts <= 1790812800000) AS b ON b.profile_id = a.profile_id
  WHERE
    a.ts < b.ts AND a.ts >= (b.ts - 3600000)
  GROUP BY
    a.profile_id
), c2 AS (
  SELECT
    s.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        a.profile_id,
        MAX(CASE WHEN b.present = 1 AND a.ts < b.ts AND a.ts >= (b.ts - 86400000) AND COALESCE(a.same1_string = b.same1_string OR a.same1_number = b.same1_number OR a.same1_bool = b.same1_bool, false) AND COALESCE(a.same2_string = b.same2_string OR a.same2_number = b.same2_number OR a.same2_bool = b.same2_bool, false) THEN 1 ELSE 0 END) AS followed
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CASE
              WHEN JSON_TYPE(e.doc['product_id']) = 'string' THEN
                STRING(e.doc['product_id'])
            END AS same1_string,
            CASE
              WHEN JSON_TYPE(e.doc['product_id']) = 'number' THEN
                FLOAT64(e.doc['product_id'])
            END AS same1_number,
            CASE
              WHEN JSON_TYPE(e.doc['product_id']) = 'boolean' THEN
                BOOL(e.doc['product_id'])
            END AS same1_bool,
            CASE
              WHEN JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) = 'string' THEN
                STRING(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END)
            END AS same2_string,
            CASE
              WHEN JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) = 'number' THEN
                FLOAT64(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END)
            END AS same2_number,
            CASE
              WHEN JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) = 'boolean' THEN
                BOOL(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END)
            END AS same2_bool
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000 AND e.ts <= 1790726400000
            ) AS e
        ) AS a
        LEFT JOIN (SELECT e.profile_id, e.ts, CASE WHEN JSON_TYPE(e.doc['product_id']) = 'string' THEN STRING(e.doc['product_id']) END AS same1_string, CASE WHEN JSON_TYPE(e.doc['product_id']) = 'number' THEN FLOAT64(e.doc['product_id']) END AS same1_number, CASE WHEN JSON_TYPE(e.doc['product_id']) = 'boolean' THEN BOOL(e.doc['product_id']) END AS same1_bool, CASE WHEN JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) = 'string' THEN STRING(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) END AS same2_string, CASE WHEN JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) = 'number' THEN FLOAT64(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) END AS same2_number, CASE WHEN JSON_TYPE(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) = 'boolean' THEN BOOL(CASE WHEN JSON_TYPE(e.doc['cart.id']) <> 'null' THEN e.doc['cart.id'] ELSE e.doc['cart']['id'] END) END AS same2_bool, 1 AS present FROM (SELECT e.profile_id, e.ts, PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc FROM events AS e WHERE e.name = 'Order Completed' AND e.ts <= 1790812800000) AS e) AS b ON b.profile_id = a.profile_id
      GROUP BY
        a.profile_id, a.ts, a.same1_string, a.same1_number, a.same1_bool, a.same2_string, a.same2_number, a.same2_bool
    ) AS s
  WHERE
    s.followed = 0
  GROUP BY
    s.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 OR COALESCE(c2.matched, 0) = 1 ORDER BY p.profile_id;

-- snowflake
WITH c1 AS (
  SELECT
    a.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            PARSE_JSON(e.properties) AS doc
          FROM
            events AS e
          WHERE
            e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
        ) AS e
      WHERE
        COALESCE(CASE WHEN TYPEOF(GET(e.doc, 'value')) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN TO_DOUBLE(GET(e.doc, 'value')) END > CAST(10 AS DOUBLE), false)
    ) AS a
    INNER JOIN (SELECT e.profile_id, e.ts FROM events AS e WHERE e.name = 'Checkout Started' AND e.ts <= 1790812800000) AS b ON b.profile_id = a.profile_id
  WHERE
    a.ts < b.ts AND a.ts >= (b.ts - 3600000)
  GROUP BY
    a.profile_id
), c2 AS (
  SELECT
    s.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        a.profile_id,
        MAX(CASE WHEN b.present = 1 AND a.ts < b.ts AND a.ts >= (b.ts - 86400000) AND COALESCE(a.same1_string = b.same1_string OR a.same1_number = b.same1_number OR a.same1_bool = b.same1_bool, false) AND COALESCE(a.same2_string = b.same2_string OR a.same2_number = b.same2_number OR a.same2_bool = b.same2_bool, false) THEN 1 ELSE 0 END) AS followed
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CASE
              WHEN TYPEOF(GET(e.doc, 'product_id')) = 'VARCHAR' THEN
                AS_VARCHAR(GET(e.doc, 'product_id'))
            END AS same1_string,
            CASE
              WHEN TYPEOF(GET(e.doc, 'product_id')) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN
                TO_DOUBLE(GET(e.doc, 'product_id'))
            END AS same1_number,
            CASE
              WHEN TYPEOF(GET(e.doc, 'product_id')) = 'BOOLEAN' THEN
                AS_BOOLEAN(GET(e.doc, 'product_id'))
            END AS same1_bool,
            CASE
              WHEN TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) = 'VARCHAR' THEN
                AS_VARCHAR(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END)
            END AS same2_string,
            CASE
              WHEN TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN
                TO_DOUBLE(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END)
            END AS same2_number,
            CASE
              WHEN TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) = 'BOOLEAN' THEN
                AS_BOOLEAN(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END)
            END AS same2_bool
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                PARSE_JSON(e.properties) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000 AND e.ts <= 1790726400000
            ) AS e
        ) AS a
        LEFT JOIN (SELECT e.profile_id, e.ts, CASE WHEN TYPEOF(GET(e.doc, 'product_id')) = 'VARCHAR' THEN AS_VARCHAR(GET(e.doc, 'product_id')) END AS same1_string, CASE WHEN TYPEOF(GET(e.doc, 'product_id')) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN TO_DOUBLE(GET(e.doc, 'product_id')) END AS same1_number, CASE WHEN TYPEOF(GET(e.doc, 'product_id')) = 'BOOLEAN' THEN AS_BOOLEAN(GET(e.doc, 'product_id')) END AS same1_bool, CASE WHEN TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) = 'VARCHAR' THEN AS_VARCHAR(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) END AS same2_string, CASE WHEN TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN TO_DOUBLE(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) END AS same2_number, CASE WHEN TYPEOF(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) = 'BOOLEAN' THEN AS_BOOLEAN(CASE WHEN NOT IS_NULL_VALUE(GET(e.doc, 'cart.id')) THEN GET(e.doc, 'cart.id') ELSE CASE WHEN IS_OBJECT(GET(e.doc, 'cart')) THEN GET(GET(e.doc, 'cart'), 'id') END END) END AS same2_bool, 1 AS present FROM (SELECT e.profile_id, e.ts, PARSE_JSON(e.properties) AS doc FROM events AS e WHERE e.name = 'Order Completed' AND e.ts <= 1790812800000) AS e) AS b ON b.profile_id = a.profile_id
      GROUP BY
        a.profile_id, a.ts, a.same1_string, a.same1_number, a.same1_bool, a.same2_string, a.same2_number, a.same2_bool
    ) AS s
  WHERE
    s.followed = 0
  GROUP BY
    s.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 OR COALESCE(c2.matched, 0) = 1 ORDER BY p.profile_id;

-- clickhouse
WITH c1 AS (
  SELECT
    a.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.properties AS doc
          FROM
            events AS e
          WHERE
            e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000
        ) AS e
      WHERE
        COALESCE(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'value')) IN ('Int64', 'UInt64', 'Double') THEN JSONExtractFloat(JSONExtractRaw(e.doc, 'value')) END > CAST(10 AS DOUBLE), false)
    ) AS a
    INNER JOIN (SELECT e.profile_id, e.ts FROM events AS e WHERE e.name = 'Checkout Started' AND e.ts <= 1790812800000) AS b ON b.profile_id = a.profile_id
  WHERE
    a.ts < b.ts AND a.ts >= (b.ts - 3600000)
  GROUP BY
    a.profile_id
), c2 AS (
  SELECT
    s.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        a.profile_id,
        MAX(CASE WHEN b.present = 1 AND a.ts < b.ts AND a.ts >= (b.ts - 86400000) AND COALESCE(a.same1_string = b.same1_string OR a.same1_number = b.same1_number OR a.same1_bool = b.same1_bool, false) AND COALESCE(a.same2_string = b.same2_string OR a.same2_number = b.same2_number OR a.same2_bool = b.same2_bool, false) THEN 1 ELSE 0 END) AS followed
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            CASE
              WHEN JSONType(JSONExtractRaw(e.doc, 'product_id')) = 'String' THEN
                JSONExtractString(JSONExtractRaw(e.doc, 'product_id'))
            END AS same1_string,
            CASE
              WHEN JSONType(JSONExtractRaw(e.doc, 'product_id')) IN ('Int64', 'UInt64', 'Double') THEN
                JSONExtractFloat(JSONExtractRaw(e.doc, 'product_id'))
            END AS same1_number,
            CASE
              WHEN JSONType(JSONExtractRaw(e.doc, 'product_id')) = 'Bool' THEN
                JSONExtractBool(JSONExtractRaw(e.doc, 'product_id'))
            END AS same1_bool,
            CASE
              WHEN JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) = 'String' THEN
                JSONExtractString(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END)
            END AS same2_string,
            CASE
              WHEN JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) IN ('Int64', 'UInt64', 'Double') THEN
                JSONExtractFloat(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END)
            END AS same2_number,
            CASE
              WHEN JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) = 'Bool' THEN
                JSONExtractBool(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END)
            END AS same2_bool
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.properties AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Added to Cart' AND e.ts <= 1790812800000 AND e.ts > 1790208000000 AND e.ts <= 1790726400000
            ) AS e
        ) AS a
        LEFT JOIN (SELECT e.profile_id, e.ts, CASE WHEN JSONType(JSONExtractRaw(e.doc, 'product_id')) = 'String' THEN JSONExtractString(JSONExtractRaw(e.doc, 'product_id')) END AS same1_string, CASE WHEN JSONType(JSONExtractRaw(e.doc, 'product_id')) IN ('Int64', 'UInt64', 'Double') THEN JSONExtractFloat(JSONExtractRaw(e.doc, 'product_id')) END AS same1_number, CASE WHEN JSONType(JSONExtractRaw(e.doc, 'product_id')) = 'Bool' THEN JSONExtractBool(JSONExtractRaw(e.doc, 'product_id')) END AS same1_bool, CASE WHEN JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) = 'String' THEN JSONExtractString(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) END AS same2_string, CASE WHEN JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) IN ('Int64', 'UInt64', 'Double') THEN JSONExtractFloat(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) END AS same2_number, CASE WHEN JSONType(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) = 'Bool' THEN JSONExtractBool(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'cart.id')) <> 'Null' THEN JSONExtractRaw(e.doc, 'cart.id') ELSE JSONExtractRaw(e.doc, 'cart', 'id') END) END AS same2_bool, 1 AS present FROM (SELECT e.profile_id, e.ts, e.properties AS doc FROM events AS e WHERE e.name = 'Order Completed' AND e.ts <= 1790812800000) AS e) AS b ON b.profile_id = a.profile_id
      GROUP BY
        a.profile_id, a.ts, a.same1_string, a.same1_number, a.same1_bool, a.same2_string, a.same2_number, a.same2_bool
    ) AS s
  WHERE
    s.followed = 0
  GROUP BY
    s.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 OR COALESCE(c2.matched, 0) = 1 ORDER BY p.profile_id;
