-- last(Order Completed.coupon in last 30d) = "SPRING" and not most_frequent(Product Viewed.category where price > 10) in ("shoes", "bags") or unique_count(Product Viewed.product_id) >= 5 and distinct(Page Viewed.context.campaign.source) contains "google"
-- as of 2026-10-01T00:00:00Z

-- duckdb
WITH c1 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id,
        t.string_value,
        t.number_value,
        t.boolean_value,
        row_number() OVER (
          PARTITION BY t.profile_id
          ORDER BY t.ts DESC, t.seq DESC
        ) AS rn
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN json_type(e.v) = 'VARCHAR' THEN
                json_extract_string(e.v, '$')
            END AS string_value,
            CASE
              WHEN json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN
                CASE
                  WHEN CAST(e.v AS DOUBLE) = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    CAST(e.v AS DOUBLE)
                END
            END AS number_value,
            CASE
              WHEN json_type(e.v) = 'BOOLEAN' THEN
                CAST(e.v AS BOOLEAN)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                json_extract(e.doc, '/coupon') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CAST(e.properties AS JSON) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1788220800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(json_type(e.v) = 'VARCHAR' OR json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') OR json_type(e.v) = 'BOOLEAN', false)
        ) AS t
    ) AS r
  WHERE
    r.rn = 1
), c2 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        g.profile_id,
        g.string_value,
        g.number_value,
        g.boolean_value,
        row_number() OVER (
          PARTITION BY g.profile_id
          ORDER BY g.n DESC, g.latest DESC
        ) AS rn
      FROM
        (
          SELECT
            p.profile_id,
            p.string_value,
            p.number_value,
            p.boolean_value,
            COUNT(*) AS n,
            MAX(p.pos) AS latest
          FROM
            (
              SELECT
                t.profile_id,
                t.string_value,
                t.number_value,
                t.boolean_value,
                row_number() OVER (
                  PARTITION BY t.profile_id
                  ORDER BY t.ts, t.seq
                ) AS pos
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CASE
                      WHEN json_type(e.v) = 'VARCHAR' THEN
                        json_extract_string(e.v, '$')
                    END AS string_value,
                    CASE
                      WHEN json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN
                        CASE
                          WHEN CAST(e.v AS DOUBLE) = CAST(0 AS DOUBLE) THEN
                            CAST(0 AS DOUBLE)
                          ELSE
                            CAST(e.v AS DOUBLE)
                        END
                    END AS number_value,
                    CASE
                      WHEN json_type(e.v) = 'BOOLEAN' THEN
                        CAST(e.v AS BOOLEAN)
                    END AS boolean_value
                  FROM
                    (
                      SELECT
                        e.profile_id,
                        e.ts,
                        e.seq,
                        json_extract(e.doc, '/category') AS v
                      FROM
                        (
                          SELECT
                            e.profile_id,
                            e.ts,
                            e.seq,
                            CAST(e.properties AS JSON) AS doc
                          FROM
                            events AS e
                          WHERE
                            e.name = 'Product Viewed' AND e.ts <= 1790812800000
                        ) AS e
                      WHERE
                        COALESCE(CASE WHEN json_type(json_extract(e.doc, '/price')) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN CAST(json_extract(e.doc, '/price') AS DOUBLE) END > CAST(10 AS DOUBLE), false)
                    ) AS e
                  WHERE
                    COALESCE(json_type(e.v) = 'VARCHAR' OR json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') OR json_type(e.v) = 'BOOLEAN', false)
                ) AS t
            ) AS p
          GROUP BY
            p.profile_id, p.string_value, p.number_value, p.boolean_value
        ) AS g
    ) AS r
  WHERE
    r.rn = 1
), c3 AS (
  SELECT
    g.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN json_type(e.v) = 'VARCHAR' THEN
                json_extract_string(e.v, '$')
            END AS string_value,
            CASE
              WHEN json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN
                CASE
                  WHEN CAST(e.v AS DOUBLE) = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    CAST(e.v AS DOUBLE)
                END
            END AS number_value,
            CASE
              WHEN json_type(e.v) = 'BOOLEAN' THEN
                CAST(e.v AS BOOLEAN)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                json_extract(e.doc, '/product_id') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CAST(e.properties AS JSON) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Product Viewed' AND e.ts <= 1790812800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(json_type(e.v) = 'VARCHAR' OR json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') OR json_type(e.v) = 'BOOLEAN', false)
        ) AS t
      GROUP BY
        t.profile_id, t.string_value, t.number_value, t.boolean_value
    ) AS g
  GROUP BY
    g.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        e.seq,
        CASE
          WHEN json_type(e.v) = 'VARCHAR' THEN
            json_extract_string(e.v, '$')
        END AS string_value,
        CASE
          WHEN json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') THEN
            CASE
              WHEN CAST(e.v AS DOUBLE) = CAST(0 AS DOUBLE) THEN
                CAST(0 AS DOUBLE)
              ELSE
                CAST(e.v AS DOUBLE)
            END
        END AS number_value,
        CASE
          WHEN json_type(e.v) = 'BOOLEAN' THEN
            CAST(e.v AS BOOLEAN)
        END AS boolean_value
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN json_type(json_extract(e.doc, '/context.campaign.source')) <> 'NULL' THEN
                json_extract(e.doc, '/context.campaign.source')
              ELSE
                CASE
                  WHEN json_type(e.doc, '/context') = 'OBJECT' AND json_type(e.doc, '/context/campaign') = 'OBJECT' THEN
                    json_extract(e.doc, '/context/campaign/source')
                END
            END AS v
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                CAST(e.properties AS JSON) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Page Viewed' AND e.ts <= 1790812800000
            ) AS e
        ) AS e
      WHERE
        COALESCE(json_type(e.v) = 'VARCHAR' OR json_type(e.v) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT') OR json_type(e.v) = 'BOOLEAN', false)
    ) AS t
  WHERE
    COALESCE(t.string_value IN ('google'), false)
  GROUP BY
    t.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
WHERE
  (COALESCE(c1.matched, 0) = 1 AND COALESCE(c1.string_value = 'SPRING', false) AND NOT (COALESCE(c2.matched, 0) = 1 AND COALESCE(c2.string_value IN ('shoes', 'bags'), false))) OR (COALESCE(COALESCE(c3.n, 0) >= CAST(5 AS DOUBLE), false) AND COALESCE(c4.matched, 0) = 1) ORDER BY p.profile_id;

-- postgres
WITH c1 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id,
        t.string_value,
        t.number_value,
        t.boolean_value,
        row_number() OVER (
          PARTITION BY t.profile_id
          ORDER BY t.ts DESC, t.seq DESC
        ) AS rn
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN jsonb_typeof(e.v) = 'string' THEN
                e.v #>> '{}'
            END AS string_value,
            CASE
              WHEN jsonb_typeof(e.v) = 'number' THEN
                CASE
                  WHEN CAST(e.v AS DOUBLE PRECISION) = CAST(0 AS DOUBLE PRECISION) THEN
                    CAST(0 AS DOUBLE PRECISION)
                  ELSE
                    CAST(e.v AS DOUBLE PRECISION)
                END
            END AS number_value,
            CASE
              WHEN jsonb_typeof(e.v) = 'boolean' THEN
                CAST(e.v AS BOOLEAN)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                e.doc -> 'coupon' AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CAST(e.properties AS JSONB) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1788220800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(jsonb_typeof(e.v) = 'string' OR jsonb_typeof(e.v) = 'number' OR jsonb_typeof(e.v) = 'boolean', false)
        ) AS t
    ) AS r
  WHERE
    r.rn = 1
), c2 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        g.profile_id,
        g.string_value,
        g.number_value,
        g.boolean_value,
        row_number() OVER (
          PARTITION BY g.profile_id
          ORDER BY g.n DESC, g.latest DESC
        ) AS rn
      FROM
        (
          SELECT
            p.profile_id,
            p.string_value,
            p.number_value,
            p.boolean_value,
            COUNT(*) AS n,
            MAX(p.pos) AS latest
          FROM
            (
              SELECT
                t.profile_id,
                t.string_value,
                t.number_value,
                t.boolean_value,
                row_number() OVER (
                  PARTITION BY t.profile_id
                  ORDER BY t.ts, t.seq
                ) AS pos
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CASE
                      WHEN jsonb_typeof(e.v) = 'string' THEN
                        e.v #>> '{}'
                    END AS string_value,
                    CASE
                      WHEN jsonb_typeof(e.v) = 'number' THEN
                        CASE
                          WHEN CAST(e.v AS DOUBLE PRECISION) = CAST(0 AS DOUBLE PRECISION) THEN
                            CAST(0 AS DOUBLE PRECISION)
                          ELSE
                            CAST(e.v AS DOUBLE PRECISION)
                        END
                    END AS number_value,
                    CASE
                      WHEN jsonb_typeof(e.v) = 'boolean' THEN
                        CAST(e.v AS BOOLEAN)
                    END AS boolean_value
                  FROM
                    (
                      SELECT
                        e.profile_id,
                        e.ts,
                        e.seq,
                        e.doc -> 'category' AS v
                      FROM
                        (
                          SELECT
                            e.profile_id,
                            e.ts,
                            e.seq,
                            CAST(e.properties AS JSONB) AS doc
                          FROM
                            events AS e
                          WHERE
                            e.name = 'Product Viewed' AND e.ts <= 1790812800000
                        ) AS e
                      WHERE
                        COALESCE(CASE WHEN jsonb_typeof(e.doc -> 'price') = 'number' THEN CAST(e.doc -> 'price' AS DOUBLE PRECISION) END > CAST(10 AS DOUBLE PRECISION), false)
                    ) AS e
                  WHERE
                    COALESCE(jsonb_typeof(e.v) = 'string' OR jsonb_typeof(e.v) = 'number' OR jsonb_typeof(e.v) = 'boolean', false)
                ) AS t
            ) AS p
          GROUP BY
            p.profile_id, p.string_value, p.number_value, p.boolean_value
        ) AS g
    ) AS r
  WHERE
    r.rn = 1
), c3 AS (
  SELECT
    g.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN jsonb_typeof(e.v) = 'string' THEN
                e.v #>> '{}'
            END AS string_value,
            CASE
              WHEN jsonb_typeof(e.v) = 'number' THEN
                CASE
                  WHEN CAST(e.v AS DOUBLE PRECISION) = CAST(0 AS DOUBLE PRECISION) THEN
                    CAST(0 AS DOUBLE PRECISION)
                  ELSE
                    CAST(e.v AS DOUBLE PRECISION)
                END
            END AS number_value,
            CASE
              WHEN jsonb_typeof(e.v) = 'boolean' THEN
                CAST(e.v AS BOOLEAN)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                e.doc -> 'product_id' AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CAST(e.properties AS JSONB) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Product Viewed' AND e.ts <= 1790812800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(jsonb_typeof(e.v) = 'string' OR jsonb_typeof(e.v) = 'number' OR jsonb_typeof(e.v) = 'boolean', false)
        ) AS t
      GROUP BY
        t.profile_id, t.string_value, t.number_value, t.boolean_value
    ) AS g
  GROUP BY
    g.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        e.seq,
        CASE
          WHEN jsonb_typeof(e.v) = 'string' THEN
            e.v #>> '{}'
        END AS string_value,
        CASE
          WHEN jsonb_typeof(e.v) = 'number' THEN
            CASE
              WHEN CAST(e.v AS DOUBLE PRECISION) = CAST(0 AS DOUBLE PRECISION) THEN
                CAST(0 AS DOUBLE PRECISION)
              ELSE
                CAST(e.v AS DOUBLE PRECISION)
            END
        END AS number_value,
        CASE
          WHEN jsonb_typeof(e.v) = 'boolean' THEN
            CAST(e.v AS BOOLEAN)
        END AS boolean_value
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN jsonb_typeof(e.doc -> 'context.campaign.source') <> 'null' THEN
                e.doc -> 'context.campaign.source'
              ELSE
                ((e.doc -> 'context') -> 'campaign') -> 'source'
            END AS v
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                CAST(e.properties AS JSONB) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Page Viewed' AND e.ts <= 1790812800000
            ) AS e
        ) AS e
      WHERE
        COALESCE(jsonb_typeof(e.v) = 'string' OR jsonb_typeof(e.v) = 'number' OR jsonb_typeof(e.v) = 'boolean', false)
    ) AS t
  WHERE
    COALESCE(t.string_value IN ('google'), false)
  GROUP BY
    t.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
WHERE
  (COALESCE(c1.matched, 0) = 1 AND COALESCE(c1.string_value = 'SPRING', false) AND NOT (COALESCE(c2.matched, 0) = 1 AND COALESCE(c2.string_value IN ('shoes', 'bags'), false))) OR (COALESCE(COALESCE(c3.n, 0) >= CAST(5 AS DOUBLE PRECISION), false) AND COALESCE(c4.matched, 0) = 1) ORDER BY p.profile_id;

-- spark
WITH c1 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id,
        t.string_value,
        t.number_value,
        t.boolean_value,
        row_number() OVER (
          PARTITION BY t.profile_id
          ORDER BY t.ts DESC, t.seq DESC
        ) AS rn
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN schema_of_variant(e.v) = 'STRING' THEN
                try_variant_get(e.v, '$', 'string')
            END AS string_value,
            CASE
              WHEN schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' THEN
                CASE
                  WHEN try_variant_get(e.v, '$', 'double') = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    try_variant_get(e.v, '$', 'double')
                END
            END AS number_value,
            CASE
              WHEN schema_of_variant(e.v) = 'BOOLEAN' THEN
                try_variant_get(e.v, '$', 'boolean')
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                try_variant_get(e.doc, '$["coupon"]', 'variant') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    parse_json(e.properties) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1788220800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(schema_of_variant(e.v) = 'STRING' OR schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' OR schema_of_variant(e.v) = 'BOOLEAN', false)
        ) AS t
    ) AS r
  WHERE
    r.rn = 1
), c2 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        g.profile_id,
        g.string_value,
        g.number_value,
        g.boolean_value,
        row_number() OVER (
          PARTITION BY g.profile_id
          ORDER BY g.n DESC, g.latest DESC
        ) AS rn
      FROM
        (
          SELECT
            p.profile_id,
            p.string_value,
            p.number_value,
            p.boolean_value,
            COUNT(*) AS n,
            MAX(p.pos) AS latest
          FROM
            (
              SELECT
                t.profile_id,
                t.string_value,
                t.number_value,
                t.boolean_value,
                row_number() OVER (
                  PARTITION BY t.profile_id
                  ORDER BY t.ts, t.seq
                ) AS pos
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CASE
                      WHEN schema_of_variant(e.v) = 'STRING' THEN
                        try_variant_get(e.v, '$', 'string')
                    END AS string_value,
                    CASE
                      WHEN schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' THEN
                        CASE
                          WHEN try_variant_get(e.v, '$', 'double') = CAST(0 AS DOUBLE) THEN
                            CAST(0 AS DOUBLE)
                          ELSE
                            try_variant_get(e.v, '$', 'double')
                        END
                    END AS number_value,
                    CASE
                      WHEN schema_of_variant(e.v) = 'BOOLEAN' THEN
                        try_variant_get(e.v, '$', 'boolean')
                    END AS boolean_value
                  FROM
                    (
                      SELECT
                        e.profile_id,
                        e.ts,
                        e.seq,
                        try_variant_get(e.doc, '$["category"]', 'variant') AS v
                      FROM
                        (
                          SELECT
                            e.profile_id,
                            e.ts,
                            e.seq,
                            parse_json(e.properties) AS doc
                          FROM
                            events AS e
                          WHERE
                            e.name = 'Product Viewed' AND e.ts <= 1790812800000
                        ) AS e
                      WHERE
                        COALESCE(CASE WHEN schema_of_variant(try_variant_get(e.doc, '$["price"]', 'variant')) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(try_variant_get(e.doc, '$["price"]', 'variant')) LIKE 'DECIMAL%' THEN try_variant_get(try_variant_get(e.doc, '$["price"]', 'variant'), '$', 'double') END > CAST(10 AS DOUBLE), false)
                    ) AS e
                  WHERE
                    COALESCE(schema_of_variant(e.v) = 'STRING' OR schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' OR schema_of_variant(e.v) = 'BOOLEAN', false)
                ) AS t
            ) AS p
          GROUP BY
            p.profile_id, p.string_value, p.number_value, p.boolean_value
        ) AS g
    ) AS r
  WHERE
    r.rn = 1
), c3 AS (
  SELECT
    g.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN schema_of_variant(e.v) = 'STRING' THEN
                try_variant_get(e.v, '$', 'string')
            END AS string_value,
            CASE
              WHEN schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' THEN
                CASE
                  WHEN try_variant_get(e.v, '$', 'double') = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    try_variant_get(e.v, '$', 'double')
                END
            END AS number_value,
            CASE
              WHEN schema_of_variant(e.v) = 'BOOLEAN' THEN
                try_variant_get(e.v, '$', 'boolean')
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                try_variant_get(e.doc, '$["product_id"]', 'variant') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    parse_json(e.properties) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Product Viewed' AND e.ts <= 1790812800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(schema_of_variant(e.v) = 'STRING' OR schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' OR schema_of_variant(e.v) = 'BOOLEAN', false)
        ) AS t
      GROUP BY
        t.profile_id, t.string_value, t.number_value, t.boolean_value
    ) AS g
  GROUP BY
    g.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        e.seq,
        CASE
          WHEN schema_of_variant(e.v) = 'STRING' THEN
            try_variant_get(e.v, '$', 'string')
        END AS string_value,
        CASE
          WHEN schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' THEN
            CASE
              WHEN try_variant_get(e.v, '$', 'double') = CAST(0 AS DOUBLE) THEN
                CAST(0 AS DOUBLE)
              ELSE
                try_variant_get(e.v, '$', 'double')
            END
        END AS number_value,
        CASE
          WHEN schema_of_variant(e.v) = 'BOOLEAN' THEN
            try_variant_get(e.v, '$', 'boolean')
        END AS boolean_value
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN NOT is_variant_null(try_variant_get(e.doc, '$["context.campaign.source"]', 'variant')) THEN
                try_variant_get(e.doc, '$["context.campaign.source"]', 'variant')
              ELSE
                try_variant_get(e.doc, '$["context"]["campaign"]["source"]', 'variant')
            END AS v
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                parse_json(e.properties) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Page Viewed' AND e.ts <= 1790812800000
            ) AS e
        ) AS e
      WHERE
        COALESCE(schema_of_variant(e.v) = 'STRING' OR schema_of_variant(e.v) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE') OR schema_of_variant(e.v) LIKE 'DECIMAL%' OR schema_of_variant(e.v) = 'BOOLEAN', false)
    ) AS t
  WHERE
    COALESCE(t.string_value IN ('google'), false)
  GROUP BY
    t.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
WHERE
  (COALESCE(c1.matched, 0) = 1 AND COALESCE(c1.string_value = 'SPRING', false) AND NOT (COALESCE(c2.matched, 0) = 1 AND COALESCE(c2.string_value IN ('shoes', 'bags'), false))) OR (COALESCE(COALESCE(c3.n, 0) >= CAST(5 AS DOUBLE), false) AND COALESCE(c4.matched, 0) = 1) ORDER BY p.profile_id;

-- bigquery
WITH c1 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id,
        t.string_value,
        t.number_value,
        t.boolean_value,
        row_number() OVER (
          PARTITION BY t.profile_id
          ORDER BY t.ts DESC, t.seq DESC
        ) AS rn
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN JSON_TYPE(e.v) = 'string' THEN
                STRING(e.v)
            END AS string_value,
            CASE
              WHEN JSON_TYPE(e.v) = 'number' THEN
                CASE
                  WHEN FLOAT64(e.v) = CAST(0 AS FLOAT64) THEN
                    CAST(0 AS FLOAT64)
                  ELSE
                    FLOAT64(e.v)
                END
            END AS number_value,
            CASE
              WHEN JSON_TYPE(e.v) = 'boolean' THEN
                BOOL(e.v)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                e.doc['coupon'] AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1788220800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(JSON_TYPE(e.v) = 'string' OR JSON_TYPE(e.v) = 'number' OR JSON_TYPE(e.v) = 'boolean', false)
        ) AS t
    ) AS r
  WHERE
    r.rn = 1
), c2 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        g.profile_id,
        g.string_value,
        g.number_value,
        g.boolean_value,
        row_number() OVER (
          PARTITION BY g.profile_id
          ORDER BY g.n DESC, g.latest DESC
        ) AS rn
      FROM
        (
          SELECT
            p.profile_id,
            p.string_value,
            p.number_value,
            p.boolean_value,
            COUNT(*) AS n,
            MAX(p.pos) AS latest
          FROM
            (
              SELECT
                t.profile_id,
                t.string_value,
                t.number_value,
                t.boolean_value,
                row_number() OVER (
                  PARTITION BY t.profile_id
                  ORDER BY t.ts, t.seq
                ) AS pos
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CASE
                      WHEN JSON_TYPE(e.v) = 'string' THEN
                        STRING(e.v)
                    END AS string_value,
                    CASE
                      WHEN JSON_TYPE(e.v) = 'number' THEN
                        CASE
                          WHEN FLOAT64(e.v) = CAST(0 AS FLOAT64) THEN
                            CAST(0 AS FLOAT64)
                          ELSE
                            FLOAT64(e.v)
                        END
                    END AS number_value,
                    CASE
                      WHEN JSON_TYPE(e.v) = 'boolean' THEN
                        BOOL(e.v)
                    END AS boolean_value
                  FROM
                    (
                      SELECT
                        e.profile_id,
                        e.ts,
                        e.seq,
                        e.doc['category'] AS v
                      FROM
                        (
                          SELECT
                            e.profile_id,
                            e.ts,
                            e.seq,
                            PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc
                          FROM
                            events AS e
                          WHERE
                            e.name = 'Product Viewed' AND e.ts <= 1790812800000
                        ) AS e
                      WHERE
                        COALESCE(CASE WHEN JSON_TYPE(e.doc['price']) = 'number' THEN FLOAT64(e.doc['price']) END > CAST(10 AS FLOAT64), false)
                    ) AS e
                  WHERE
                    COALESCE(JSON_TYPE(e.v) = 'string' OR JSON_TYPE(e.v) = 'number' OR JSON_TYPE(e.v) = 'boolean', false)
                ) AS t
            ) AS p
          GROUP BY
            p.profile_id, p.string_value, p.number_value, p.boolean_value
        ) AS g
    ) AS r
  WHERE
    r.rn = 1
), c3 AS (
  SELECT
    g.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN JSON_TYPE(e.v) = 'string' THEN
                STRING(e.v)
            END AS string_value,
            CASE
              WHEN JSON_TYPE(e.v) = 'number' THEN
                CASE
                  WHEN FLOAT64(e.v) = CAST(0 AS FLOAT64) THEN
                    CAST(0 AS FLOAT64)
                  ELSE
                    FLOAT64(e.v)
                END
            END AS number_value,
            CASE
              WHEN JSON_TYPE(e.v) = 'boolean' THEN
                BOOL(e.v)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                e.doc['product_id'] AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Product Viewed' AND e.ts <= 1790812800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(JSON_TYPE(e.v) = 'string' OR JSON_TYPE(e.v) = 'number' OR JSON_TYPE(e.v) = 'boolean', false)
        ) AS t
      GROUP BY
        t.profile_id, t.string_value, t.number_value, t.boolean_value
    ) AS g
  GROUP BY
    g.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        e.seq,
        CASE
          WHEN JSON_TYPE(e.v) = 'string' THEN
            STRING(e.v)
        END AS string_value,
        CASE
          WHEN JSON_TYPE(e.v) = 'number' THEN
            CASE
              WHEN FLOAT64(e.v) = CAST(0 AS FLOAT64) THEN
                CAST(0 AS FLOAT64)
              ELSE
                FLOAT64(e.v)
            END
        END AS number_value,
        CASE
          WHEN JSON_TYPE(e.v) = 'boolean' THEN
            BOOL(e.v)
        END AS boolean_value
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN JSON_TYPE(e.doc['context.campaign.source']) <> 'null' THEN
                e.doc['context.campaign.source']
              ELSE
                e.doc['context']['campaign']['source']
            END AS v
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                PARSE_JSON(e.properties, wide_number_mode => 'round') AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Page Viewed' AND e.ts <= 1790812800000
            ) AS e
        ) AS e
      WHERE
        COALESCE(JSON_TYPE(e.v) = 'string' OR JSON_TYPE(e.v) = 'number' OR JSON_TYPE(e.v) = 'boolean', false)
    ) AS t
  WHERE
    COALESCE(t.string_value IN ('google'), false)
  GROUP BY
    t.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
WHERE
  (COALESCE(c1.matched, 0) = 1 AND COALESCE(c1.string_value = 'SPRING', false) AND NOT (COALESCE(c2.matched, 0) = 1 AND COALESCE(c2.string_value IN ('shoes', 'bags'), false))) OR (COALESCE(COALESCE(c3.n, 0) >= CAST(5 AS FLOAT64), false) AND COALESCE(c4.matched, 0) = 1) ORDER BY p.profile_id;

-- snowflake
WITH c1 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id,
        t.string_value,
        t.number_value,
        t.boolean_value,
        row_number() OVER (
          PARTITION BY t.profile_id
          ORDER BY t.ts DESC, t.seq DESC
        ) AS rn
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN TYPEOF(e.v) = 'VARCHAR' THEN
                AS_VARCHAR(e.v)
            END AS string_value,
            CASE
              WHEN TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN
                CASE
                  WHEN TO_DOUBLE(e.v) = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    TO_DOUBLE(e.v)
                END
            END AS number_value,
            CASE
              WHEN TYPEOF(e.v) = 'BOOLEAN' THEN
                AS_BOOLEAN(e.v)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                GET(e.doc, 'coupon') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    PARSE_JSON(e.properties) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1788220800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(TYPEOF(e.v) = 'VARCHAR' OR TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') OR TYPEOF(e.v) = 'BOOLEAN', false)
        ) AS t
    ) AS r
  WHERE
    r.rn = 1
), c2 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        g.profile_id,
        g.string_value,
        g.number_value,
        g.boolean_value,
        row_number() OVER (
          PARTITION BY g.profile_id
          ORDER BY g.n DESC, g.latest DESC
        ) AS rn
      FROM
        (
          SELECT
            p.profile_id,
            p.string_value,
            p.number_value,
            p.boolean_value,
            COUNT(*) AS n,
            MAX(p.pos) AS latest
          FROM
            (
              SELECT
                t.profile_id,
                t.string_value,
                t.number_value,
                t.boolean_value,
                row_number() OVER (
                  PARTITION BY t.profile_id
                  ORDER BY t.ts, t.seq
                ) AS pos
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CASE
                      WHEN TYPEOF(e.v) = 'VARCHAR' THEN
                        AS_VARCHAR(e.v)
                    END AS string_value,
                    CASE
                      WHEN TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN
                        CASE
                          WHEN TO_DOUBLE(e.v) = CAST(0 AS DOUBLE) THEN
                            CAST(0 AS DOUBLE)
                          ELSE
                            TO_DOUBLE(e.v)
                        END
                    END AS number_value,
                    CASE
                      WHEN TYPEOF(e.v) = 'BOOLEAN' THEN
                        AS_BOOLEAN(e.v)
                    END AS boolean_value
                  FROM
                    (
                      SELECT
                        e.profile_id,
                        e.ts,
                        e.seq,
                        GET(e.doc, 'category') AS v
                      FROM
                        (
                          SELECT
                            e.profile_id,
                            e.ts,
                            e.seq,
                            PARSE_JSON(e.properties) AS doc
                          FROM
                            events AS e
                          WHERE
                            e.name = 'Product Viewed' AND e.ts <= 1790812800000
                        ) AS e
                      WHERE
                        COALESCE(CASE WHEN TYPEOF(GET(e.doc, 'price')) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN TO_DOUBLE(GET(e.doc, 'price')) END > CAST(10 AS DOUBLE), false)
                    ) AS e
                  WHERE
                    COALESCE(TYPEOF(e.v) = 'VARCHAR' OR TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') OR TYPEOF(e.v) = 'BOOLEAN', false)
                ) AS t
            ) AS p
          GROUP BY
            p.profile_id, p.string_value, p.number_value, p.boolean_value
        ) AS g
    ) AS r
  WHERE
    r.rn = 1
), c3 AS (
  SELECT
    g.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN TYPEOF(e.v) = 'VARCHAR' THEN
                AS_VARCHAR(e.v)
            END AS string_value,
            CASE
              WHEN TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN
                CASE
                  WHEN TO_DOUBLE(e.v) = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    TO_DOUBLE(e.v)
                END
            END AS number_value,
            CASE
              WHEN TYPEOF(e.v) = 'BOOLEAN' THEN
                AS_BOOLEAN(e.v)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                GET(e.doc, 'product_id') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    PARSE_JSON(e.properties) AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Product Viewed' AND e.ts <= 1790812800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(TYPEOF(e.v) = 'VARCHAR' OR TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') OR TYPEOF(e.v) = 'BOOLEAN', false)
        ) AS t
      GROUP BY
        t.profile_id, t.string_value, t.number_value, t.boolean_value
    ) AS g
  GROUP BY
    g.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        e.seq,
        CASE
          WHEN TYPEOF(e.v) = 'VARCHAR' THEN
            AS_VARCHAR(e.v)
        END AS string_value,
        CASE
          WHEN TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') THEN
            CASE
              WHEN TO_DOUBLE(e.v) = CAST(0 AS DOUBLE) THEN
                CAST(0 AS DOUBLE)
              ELSE
                TO_DOUBLE(e.v)
            END
        END AS number_value,
        CASE
          WHEN TYPEOF(e.v) = 'BOOLEAN' THEN
            AS_BOOLEAN(e.v)
        END AS boolean_value
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN NOT IS_NULL_VALUE(GET(e.doc, 'context.campaign.source')) THEN
                GET(e.doc, 'context.campaign.source')
              ELSE
                CASE
                  WHEN IS_OBJECT(GET(e.doc, 'context')) AND IS_OBJECT(GET(GET(e.doc, 'context'), 'campaign')) THEN
                    GET(GET(GET(e.doc, 'context'), 'campaign'), 'source')
                END
            END AS v
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                PARSE_JSON(e.properties) AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Page Viewed' AND e.ts <= 1790812800000
            ) AS e
        ) AS e
      WHERE
        COALESCE(TYPEOF(e.v) = 'VARCHAR' OR TYPEOF(e.v) IN ('INTEGER', 'DECIMAL', 'DOUBLE') OR TYPEOF(e.v) = 'BOOLEAN', false)
    ) AS t
  WHERE
    COALESCE(t.string_value IN ('google'), false)
  GROUP BY
    t.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
WHERE
  (COALESCE(c1.matched, 0) = 1 AND COALESCE(c1.string_value = 'SPRING', false) AND NOT (COALESCE(c2.matched, 0) = 1 AND COALESCE(c2.string_value IN ('shoes', 'bags'), false))) OR (COALESCE(COALESCE(c3.n, 0) >= CAST(5 AS DOUBLE), false) AND COALESCE(c4.matched, 0) = 1) ORDER BY p.profile_id;

-- clickhouse
WITH c1 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id,
        t.string_value,
        t.number_value,
        t.boolean_value,
        row_number() OVER (
          PARTITION BY t.profile_id
          ORDER BY t.ts DESC, t.seq DESC
        ) AS rn
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN JSONType(e.v) = 'String' THEN
                JSONExtractString(e.v)
            END AS string_value,
            CASE
              WHEN JSONType(e.v) IN ('Int64', 'UInt64', 'Double') THEN
                CASE
                  WHEN JSONExtractFloat(e.v) = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    JSONExtractFloat(e.v)
                END
            END AS number_value,
            CASE
              WHEN JSONType(e.v) = 'Bool' THEN
                JSONExtractBool(e.v)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                JSONExtractRaw(e.doc, 'coupon') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    e.properties AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Order Completed' AND e.ts <= 1790812800000 AND e.ts > 1788220800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(JSONType(e.v) = 'String' OR JSONType(e.v) IN ('Int64', 'UInt64', 'Double') OR JSONType(e.v) = 'Bool', false)
        ) AS t
    ) AS r
  WHERE
    r.rn = 1
), c2 AS (
  SELECT
    r.profile_id,
    r.string_value,
    r.number_value,
    r.boolean_value,
    1 AS matched
  FROM
    (
      SELECT
        g.profile_id,
        g.string_value,
        g.number_value,
        g.boolean_value,
        row_number() OVER (
          PARTITION BY g.profile_id
          ORDER BY g.n DESC, g.latest DESC
        ) AS rn
      FROM
        (
          SELECT
            p.profile_id,
            p.string_value,
            p.number_value,
            p.boolean_value,
            COUNT(*) AS n,
            MAX(p.pos) AS latest
          FROM
            (
              SELECT
                t.profile_id,
                t.string_value,
                t.number_value,
                t.boolean_value,
                row_number() OVER (
                  PARTITION BY t.profile_id
                  ORDER BY t.ts, t.seq
                ) AS pos
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    CASE
                      WHEN JSONType(e.v) = 'String' THEN
                        JSONExtractString(e.v)
                    END AS string_value,
                    CASE
                      WHEN JSONType(e.v) IN ('Int64', 'UInt64', 'Double') THEN
                        CASE
                          WHEN JSONExtractFloat(e.v) = CAST(0 AS DOUBLE) THEN
                            CAST(0 AS DOUBLE)
                          ELSE
                            JSONExtractFloat(e.v)
                        END
                    END AS number_value,
                    CASE
                      WHEN JSONType(e.v) = 'Bool' THEN
                        JSONExtractBool(e.v)
                    END AS boolean_value
                  FROM
                    (
                      SELECT
                        e.profile_id,
                        e.ts,
                        e.seq,
                        JSONExtractRaw(e.doc, 'category') AS v
                      FROM
                        (
                          SELECT
                            e.profile_id,
                            e.ts,
                            e.seq,
                            e.properties AS doc
                          FROM
                            events AS e
                          WHERE
                            e.name = 'Product Viewed' AND e.ts <= 1790812800000
                        ) AS e
                      WHERE
                        COALESCE(CASE WHEN JSONType(JSONExtractRaw(e.doc, 'price')) IN ('Int64', 'UInt64', 'Double') THEN JSONExtractFloat(JSONExtractRaw(e.doc, 'price')) END > CAST(10 AS DOUBLE), false)
                    ) AS e
                  WHERE
                    COALESCE(JSONType(e.v) = 'String' OR JSONType(e.v) IN ('Int64', 'UInt64', 'Double') OR JSONType(e.v) = 'Bool', false)
                ) AS t
            ) AS p
          GROUP BY
            p.profile_id, p.string_value, p.number_value, p.boolean_value
        ) AS g
    ) AS r
  WHERE
    r.rn = 1
), c3 AS (
  SELECT
    g.profile_id,
    COUNT(*) AS n,
    1 AS matched
  FROM
    (
      SELECT
        t.profile_id
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN JSONType(e.v) = 'String' THEN
                JSONExtractString(e.v)
            END AS string_value,
            CASE
              WHEN JSONType(e.v) IN ('Int64', 'UInt64', 'Double') THEN
                CASE
                  WHEN JSONExtractFloat(e.v) = CAST(0 AS DOUBLE) THEN
                    CAST(0 AS DOUBLE)
                  ELSE
                    JSONExtractFloat(e.v)
                END
            END AS number_value,
            CASE
              WHEN JSONType(e.v) = 'Bool' THEN
                JSONExtractBool(e.v)
            END AS boolean_value
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                JSONExtractRaw(e.doc, 'product_id') AS v
              FROM
                (
                  SELECT
                    e.profile_id,
                    e.ts,
                    e.seq,
                    e.properties AS doc
                  FROM
                    events AS e
                  WHERE
                    e.name = 'Product Viewed' AND e.ts <= 1790812800000
                ) AS e
            ) AS e
          WHERE
            COALESCE(JSONType(e.v) = 'String' OR JSONType(e.v) IN ('Int64', 'UInt64', 'Double') OR JSONType(e.v) = 'Bool', false)
        ) AS t
      GROUP BY
        t.profile_id, t.string_value, t.number_value, t.boolean_value
    ) AS g
  GROUP BY
    g.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    (
      SELECT
        e.profile_id,
        e.ts,
        e.seq,
        CASE
          WHEN JSONType(e.v) = 'String' THEN
            JSONExtractString(e.v)
        END AS string_value,
        CASE
          WHEN JSONType(e.v) IN ('Int64', 'UInt64', 'Double') THEN
            CASE
              WHEN JSONExtractFloat(e.v) = CAST(0 AS DOUBLE) THEN
                CAST(0 AS DOUBLE)
              ELSE
                JSONExtractFloat(e.v)
            END
        END AS number_value,
        CASE
          WHEN JSONType(e.v) = 'Bool' THEN
            JSONExtractBool(e.v)
        END AS boolean_value
      FROM
        (
          SELECT
            e.profile_id,
            e.ts,
            e.seq,
            CASE
              WHEN JSONType(JSONExtractRaw(e.doc, 'context.campaign.source')) <> 'Null' THEN
                JSONExtractRaw(e.doc, 'context.campaign.source')
              ELSE
                JSONExtractRaw(e.doc, 'context', 'campaign', 'source')
            END AS v
          FROM
            (
              SELECT
                e.profile_id,
                e.ts,
                e.seq,
                e.properties AS doc
              FROM
                events AS e
              WHERE
                e.name = 'Page Viewed' AND e.ts <= 1790812800000
            ) AS e
        ) AS e
      WHERE
        COALESCE(JSONType(e.v) = 'String' OR JSONType(e.v) IN ('Int64', 'UInt64', 'Double') OR JSONType(e.v) = 'Bool', false)
    ) AS t
  WHERE
    COALESCE(t.string_value IN ('google'), false)
  GROUP BY
    t.profile_id
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
WHERE
  (COALESCE(c1.matched, 0) = 1 AND COALESCE(c1.string_value = 'SPRING', false) AND NOT (COALESCE(c2.matched, 0) = 1 AND COALESCE(c2.string_value IN ('shoes', 'bags'), false))) OR (COALESCE(COALESCE(c3.n, 0) >= CAST(5 AS DOUBLE), false) AND COALESCE(c4.matched, 0) = 1) ORDER BY p.profile_id;
