-- age between 25 and 35 and city_tier in ("urban", "it's") and interests contains "yoga" and not vip = true
-- as of 2026-10-01T00:00:00Z

-- duckdb
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'age' AND t.type = 'number' AND t.number_value >= CAST(25 AS DOUBLE) AND t.number_value <= CAST(35 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'city_tier' AND t.type = 'string' AND t.string_value IN ('urban', 'it''s')
), c3 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'city_tier' AND i.item IN ('urban', 'it''s')
  GROUP BY
    i.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'interests' AND t.type = 'string' AND contains(t.string_value, 'yoga')
), c5 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'interests' AND i.item IN ('yoga')
  GROUP BY
    i.profile_id
), c6 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'vip' AND t.type = 'bool' AND t.boolean_value = true
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
  LEFT JOIN c5 ON c5.profile_id = p.profile_id
  LEFT JOIN c6 ON c6.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND (COALESCE(c2.matched, 0) = 1 OR COALESCE(c3.matched, 0) = 1) AND (COALESCE(c4.matched, 0) = 1 OR COALESCE(c5.matched, 0) = 1) AND NOT (COALESCE(c6.matched, 0) = 1) ORDER BY p.profile_id;

-- postgres
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'age' AND t.type = 'number' AND t.number_value >= CAST(25 AS DOUBLE PRECISION) AND t.number_value <= CAST(35 AS DOUBLE PRECISION)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'city_tier' AND t.type = 'string' AND t.string_value IN ('urban', 'it''s')
), c3 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'city_tier' AND i.item IN ('urban', 'it''s')
  GROUP BY
    i.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'interests' AND t.type = 'string' AND strpos(t.string_value, 'yoga') > 0
), c5 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'interests' AND i.item IN ('yoga')
  GROUP BY
    i.profile_id
), c6 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'vip' AND t.type = 'bool' AND t.boolean_value = true
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
  LEFT JOIN c5 ON c5.profile_id = p.profile_id
  LEFT JOIN c6 ON c6.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND (COALESCE(c2.matched, 0) = 1 OR COALESCE(c3.matched, 0) = 1) AND (COALESCE(c4.matched, 0) = 1 OR COALESCE(c5.matched, 0) = 1) AND NOT (COALESCE(c6.matched, 0) = 1) ORDER BY p.profile_id;

-- spark
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'age' AND t.type = 'number' AND t.number_value >= CAST(25 AS DOUBLE) AND t.number_value <= CAST(35 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'city_tier' AND t.type = 'string' AND t.string_value IN ('urban', decode(unhex('69742773'), 'UTF-8'))
), c3 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'city_tier' AND i.item IN ('urban', decode(unhex('69742773'), 'UTF-8'))
  GROUP BY
    i.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'interests' AND t.type = 'string' AND contains(t.string_value, 'yoga')
), c5 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'interests' AND i.item IN ('yoga')
  GROUP BY
    i.profile_id
), c6 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'vip' AND t.type = 'bool' AND t.boolean_value = true
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
  LEFT JOIN c5 ON c5.profile_id = p.profile_id
  LEFT JOIN c6 ON c6.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND (COALESCE(c2.matched, 0) = 1 OR COALESCE(c3.matched, 0) = 1) AND (COALESCE(c4.matched, 0) = 1 OR COALESCE(c5.matched, 0) = 1) AND NOT (COALESCE(c6.matched, 0) = 1) ORDER BY p.profile_id;

-- bigquery
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'age' AND t.type = 'number' AND t.number_value >= CAST(25 AS FLOAT64) AND t.number_value <= CAST(35 AS FLOAT64)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'city_tier' AND t.type = 'string' AND t.string_value IN ('urban', CAST(FROM_HEX('69742773') AS STRING))
), c3 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'city_tier' AND i.item IN ('urban', CAST(FROM_HEX('69742773') AS STRING))
  GROUP BY
    i.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'interests' AND t.type = 'string' AND STRPOS(t.string_value, 'yoga') > 0
), c5 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'interests' AND i.item IN ('yoga')
  GROUP BY
    i.profile_id
), c6 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'vip' AND t.type = 'bool' AND t.boolean_value = true
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
  LEFT JOIN c5 ON c5.profile_id = p.profile_id
  LEFT JOIN c6 ON c6.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND (COALESCE(c2.matched, 0) = 1 OR COALESCE(c3.matched, 0) = 1) AND (COALESCE(c4.matched, 0) = 1 OR COALESCE(c5.matched, 0) = 1) AND NOT (COALESCE(c6.matched, 0) = 1) ORDER BY p.profile_id;

-- snowflake
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'age' AND t.type = 'number' AND t.number_value >= CAST(25 AS DOUBLE) AND t.number_value <= CAST(35 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'city_tier' AND t.type = 'string' AND t.string_value IN ('urban', HEX_DECODE_STRING('69742773'))
), c3 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'city_tier' AND i.item IN ('urban', HEX_DECODE_STRING('69742773'))
  GROUP BY
    i.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'interests' AND t.type = 'string' AND CONTAINS(t.string_value, 'yoga')
), c5 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'interests' AND i.item IN ('yoga')
  GROUP BY
    i.profile_id
), c6 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'vip' AND t.type = 'bool' AND t.boolean_value = true
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
  LEFT JOIN c5 ON c5.profile_id = p.profile_id
  LEFT JOIN c6 ON c6.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND (COALESCE(c2.matched, 0) = 1 OR COALESCE(c3.matched, 0) = 1) AND (COALESCE(c4.matched, 0) = 1 OR COALESCE(c5.matched, 0) = 1) AND NOT (COALESCE(c6.matched, 0) = 1) ORDER BY p.profile_id;

-- clickhouse
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'age' AND t.type = 'number' AND t.number_value >= CAST(25 AS DOUBLE) AND t.number_value <= CAST(35 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'city_tier' AND t.type = 'string' AND t.string_value IN ('urban', unhex('69742773'))
), c3 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'city_tier' AND i.item IN ('urban', unhex('69742773'))
  GROUP BY
    i.profile_id
), c4 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'interests' AND t.type = 'string' AND position(t.string_value, 'yoga') > 0
), c5 AS (
  SELECT
    i.profile_id,
    1 AS matched
  FROM
    trait_items AS i
  WHERE
    i.name = 'interests' AND i.item IN ('yoga')
  GROUP BY
    i.profile_id
), c6 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'vip' AND t.type = 'bool' AND t.boolean_value = true
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
  LEFT JOIN c3 ON c3.profile_id = p.profile_id
  LEFT JOIN c4 ON c4.profile_id = p.profile_id
  LEFT JOIN c5 ON c5.profile_id = p.profile_id
  LEFT JOIN c6 ON c6.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND (COALESCE(c2.matched, 0) = 1 OR COALESCE(c3.matched, 0) = 1) AND (COALESCE(c4.matched, 0) = 1 OR COALESCE(c5.matched, 0) = 1) AND NOT (COALESCE(c6.matched, 0) = 1) ORDER BY p.profile_id;
