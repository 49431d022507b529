-- home within 5 mi of point(41.8781, -87.6298) and not home within 800 m of point(40.7128, -74.006)
-- as of 2026-10-01T00:00:00Z

-- duckdb
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.309107294794374e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.445667555589836e-1 AS DOUBLE)) * power(sin(((CAST(-8.76298e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(8.04672e3 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.105724077059474e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.579886370985023e-1 AS DOUBLE)) * power(sin(((CAST(-7.4006e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(800 AS DOUBLE)
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- postgres
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE PRECISION) * asin(least(sqrt(power(sin((CAST(7.309107294794374e-1 AS DOUBLE PRECISION) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE PRECISION))) / CAST(2 AS DOUBLE PRECISION)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE PRECISION)) * CAST(7.445667555589836e-1 AS DOUBLE PRECISION)) * power(sin(((CAST(-8.76298e1 AS DOUBLE PRECISION) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE PRECISION)) / CAST(2 AS DOUBLE PRECISION)), 2))), CAST(1 AS DOUBLE PRECISION)))) <= CAST(8.04672e3 AS DOUBLE PRECISION)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE PRECISION) * asin(least(sqrt(power(sin((CAST(7.105724077059474e-1 AS DOUBLE PRECISION) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE PRECISION))) / CAST(2 AS DOUBLE PRECISION)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE PRECISION)) * CAST(7.579886370985023e-1 AS DOUBLE PRECISION)) * power(sin(((CAST(-7.4006e1 AS DOUBLE PRECISION) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE PRECISION)) / CAST(2 AS DOUBLE PRECISION)), 2))), CAST(1 AS DOUBLE PRECISION)))) <= CAST(800 AS DOUBLE PRECISION)
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- spark
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.309107294794374e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.445667555589836e-1 AS DOUBLE)) * power(sin(((CAST(-8.76298e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(8.04672e3 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.105724077059474e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.579886370985023e-1 AS DOUBLE)) * power(sin(((CAST(-7.4006e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(800 AS DOUBLE)
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- bigquery
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS FLOAT64) * asin(least(sqrt(power(sin((CAST(7.309107294794374e-1 AS FLOAT64) - (t.geo_lat * CAST(1.7453292519943295e-2 AS FLOAT64))) / CAST(2 AS FLOAT64)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS FLOAT64)) * CAST(7.445667555589836e-1 AS FLOAT64)) * power(sin(((CAST(-8.76298e1 AS FLOAT64) - t.geo_lon) * CAST(1.7453292519943295e-2 AS FLOAT64)) / CAST(2 AS FLOAT64)), 2))), CAST(1 AS FLOAT64)))) <= CAST(8.04672e3 AS FLOAT64)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS FLOAT64) * asin(least(sqrt(power(sin((CAST(7.105724077059474e-1 AS FLOAT64) - (t.geo_lat * CAST(1.7453292519943295e-2 AS FLOAT64))) / CAST(2 AS FLOAT64)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS FLOAT64)) * CAST(7.579886370985023e-1 AS FLOAT64)) * power(sin(((CAST(-7.4006e1 AS FLOAT64) - t.geo_lon) * CAST(1.7453292519943295e-2 AS FLOAT64)) / CAST(2 AS FLOAT64)), 2))), CAST(1 AS FLOAT64)))) <= CAST(800 AS FLOAT64)
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- snowflake
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.309107294794374e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.445667555589836e-1 AS DOUBLE)) * power(sin(((CAST(-8.76298e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(8.04672e3 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.105724077059474e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.579886370985023e-1 AS DOUBLE)) * power(sin(((CAST(-7.4006e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(800 AS DOUBLE)
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;

-- clickhouse
WITH c1 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.309107294794374e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.445667555589836e-1 AS DOUBLE)) * power(sin(((CAST(-8.76298e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(8.04672e3 AS DOUBLE)
), c2 AS (
  SELECT
    t.profile_id,
    1 AS matched
  FROM
    traits AS t
  WHERE
    t.name = 'home' AND t.type = 'geo' AND (CAST(1.27420176e7 AS DOUBLE) * asin(least(sqrt(power(sin((CAST(7.105724077059474e-1 AS DOUBLE) - (t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE))) / CAST(2 AS DOUBLE)), 2) + ((cos(t.geo_lat * CAST(1.7453292519943295e-2 AS DOUBLE)) * CAST(7.579886370985023e-1 AS DOUBLE)) * power(sin(((CAST(-7.4006e1 AS DOUBLE) - t.geo_lon) * CAST(1.7453292519943295e-2 AS DOUBLE)) / CAST(2 AS DOUBLE)), 2))), CAST(1 AS DOUBLE)))) <= CAST(800 AS DOUBLE)
)
SELECT
  p.profile_id
FROM
  profiles AS p
  LEFT JOIN c1 ON c1.profile_id = p.profile_id
  LEFT JOIN c2 ON c2.profile_id = p.profile_id
WHERE
  COALESCE(c1.matched, 0) = 1 AND NOT (COALESCE(c2.matched, 0) = 1) ORDER BY p.profile_id;
