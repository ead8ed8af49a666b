-- Seed data for the orders-items-products challenge.
--
-- Contract with the grader: in ONE session, on the empty schema, the grader runs
--     SELECT setseed(<a float in [-1, 1]>);
--     SET nplus1.size = '<n>';          -- the number of orders, n >= 0
-- and then this whole file as one multi-statement simple-protocol query.
-- The same seed and size give the same rows, stored in the same physical
-- order, on the same PostgreSQL major version: the only randomness is
-- random() after setseed, evaluated over one generate_series per statement,
-- in order, in a MATERIALIZED CTE, and the rows are inserted in an order
-- fixed by those random values.
--
-- What the data holds, to trip careless fixes:
--   * greatest(4, n * 3 / 5) products with sparse ids (5k-4..5k), stored
--     shuffled; about 30% have no brand (NULL), some an empty one ("");
--     the second product by id and about 5% of the others cost 0 cents; the
--     first by id and about 3% of the others have a name of over 2,000
--     characters;
--   * orders with ids 1..n stored shuffled; the customer of order 1 and about
--     2% of the others is over 2,000 characters long;
--   * up to 7 items per order (3 on average); every order whose id is 3 mod 7,
--     the last order and about 8% of the others have none (an inner JOIN
--     drops them; so does "LEFT JOIN items ... JOIN products"), order 1
--     always has some; an order may hold the same product twice;
--   * item ids that are sparse (3k-2..3k), follow neither the order ids nor
--     the storage order, and are stored shuffled;
--   * names with quotes, a backslash, &, < >, non-ASCII letters, CJK and an
--     emoji.

-- Products: ids 5k-4..5k for k = 1..greatest(4, n * 3 / 5).
WITH picks AS MATERIALIZED (
    SELECT k,
           5 * k - floor(random() * 5)::int  AS id,
           1 + floor(random() * 16)::int     AS name_i,
           1 + floor(random() * 8)::int      AS brand_i,
           random()                          AS brand_r,
           random()                          AS price_r,
           99 + floor(random() * 25000)::int AS price_cents,
           random()                          AS long_r,
           random()                          AS shuffle
    FROM generate_series(1, greatest(4, current_setting('nplus1.size')::int * 3 / 5)) AS k
)
INSERT INTO products (id, name, brand, price_cents)
SELECT p.id,
       CASE WHEN p.k = 1 OR p.long_r < 0.03
            THEN 'Deluxe "Grand Tour" gift box: ' || repeat('crème brûlée, 抹茶, Käsekuchen & O''Neill''s shortbread; ', 40)
            ELSE n.name
       END,
       CASE WHEN p.brand_r < 0.3 THEN NULL ELSE b.name END,
       CASE WHEN p.k = 2 OR p.price_r < 0.05 THEN 0 ELSE p.price_cents END
FROM picks AS p
JOIN (VALUES
        (1, 'Desk lamp'), (2, 'Tea "Earl Grey"'), (3, 'Children''s book'),
        (4, 'Crème brûlée torch'), (5, 'Käsekuchen'), (6, 'Salt & Pepper <set>'),
        (7, E'Poster \\o/'), (8, '抹茶 (matcha)'), (9, 'Rocket 🚀 mug'),
        (10, 'Notebook'), (11, 'USB-C cable'), (12, 'Señor Coconut LP'),
        (13, 'Ölkanne'), (14, 'Ручка (pen)'), (15, 'Sticker (free)'), (16, 'Notebook')
     ) AS n (i, name) ON n.i = p.name_i
JOIN (VALUES
        (1, 'Acme'), (2, 'Müller & Söhne'), (3, '"Best" Goods'), (4, 'Ōkami 狼'),
        (5, 'O''Reilly'), (6, ''), (7, 'Łódź Works'), (8, 'Acme')
     ) AS b (i, name) ON b.i = p.brand_i
ORDER BY p.shuffle, p.k;

-- Orders: ids 1..n, customers from two lists of names or a very long one.
WITH picks AS MATERIALIZED (
    SELECT g                               AS id,
           1 + floor(random() * 12)::int   AS first_i,
           1 + floor(random() * 12)::int   AS last_i,
           random()                        AS long_r,
           random()                        AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int) AS g
)
INSERT INTO orders (id, customer)
SELECT p.id,
       CASE WHEN p.id = 1 OR p.long_r < 0.02
            THEN 'Ærøskøbing "Fjord" Trading & Søn' || repeat(' · Zürich · 東京 · O''Hare', 90)
            ELSE f.name || ' ' || l.name
       END
FROM picks AS p
JOIN (VALUES
        (1, 'Zoë'), (2, 'Łukasz'), (3, 'José'), (4, 'Ann'),
        (5, 'Siobhán'), (6, '"Ace"'), (7, 'Renée'), (8, '太郎'),
        (9, 'Mary-Jane'), (10, 'D''Arcy'), (11, 'Ngọc'), (12, 'Åsa')
     ) AS f (i, name) ON f.i = p.first_i
JOIN (VALUES
        (1, 'O''Brien'), (2, 'Nguyễn'), (3, '山田'), (4, 'Müller'),
        (5, 'Smith'), (6, 'D''Angelo'), (7, '"Doc" Brown'), (8, 'García'),
        (9, 'Kowalski'), (10, 'Ó Súilleabháin'), (11, 'van der Berg'), (12, 'Øster')
     ) AS l (i, name) ON l.i = p.last_i
ORDER BY p.shuffle, p.id;

-- Items: 7 slots per order; an order keeps its first 1..7 slots (from the
-- random values of its slot 1), or none (never order 1). Each item's
-- product is picked by rank among all products ordered by id. Item ids are
-- a random permutation of the kept slots, spread out to 3k-2..3k.
WITH slots AS MATERIALIZED (
    SELECT s,
           (s - 1) / 7 + 1                 AS order_id,
           (s - 1) % 7 + 1                 AS slot,
           random()                        AS empty_r,
           1 + floor(random() * 7)::int    AS item_count,
           random()                        AS product_r,
           1 + floor(random() * 4)::int    AS quantity,
           floor(random() * 3)::int        AS id_offset,
           random()                        AS id_r,
           random()                        AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int * 7) AS s
),
kept AS (
    SELECT s.*, row_number() OVER (ORDER BY s.id_r, s.s) AS k
    FROM slots AS s
    JOIN slots AS first ON first.order_id = s.order_id AND first.slot = 1
    WHERE s.slot <= first.item_count
      AND (s.order_id = 1 OR (
               first.empty_r >= 0.08
               AND s.order_id % 7 <> 3
               AND s.order_id <> current_setting('nplus1.size')::int))
),
ranked_products AS (
    SELECT id, row_number() OVER (ORDER BY id) AS product_rank, count(*) OVER () AS total
    FROM products
)
INSERT INTO items (id, order_id, product_id, quantity)
SELECT 3 * k.k - k.id_offset, k.order_id, p.id, k.quantity
FROM kept AS k
JOIN ranked_products AS p ON p.product_rank = 1 + floor(k.product_r * p.total)::int
ORDER BY k.shuffle, k.s;

ANALYZE products, orders, items;
