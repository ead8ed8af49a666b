-- Seed data for the orders-items challenge.
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
--   * orders with ids 1..n stored in a shuffled order;
--   * up to 5 items per order; every order whose id is 2 mod 6, the last
--     order and about 8% of the others have none (an inner JOIN drops them,
--     a LEFT JOIN gives them a row of NULLs); order 1 always has some;
--   * item ids that are sparse (3k-2..3k), follow neither the order ids nor
--     the storage order, and are stored shuffled, so items come back in the
--     wrong order without an ORDER BY;
--   * notes that are NULL (about half), empty strings, or contain quotes, a
--     backslash, a newline, a tab, non-ASCII letters and an emoji; names and
--     customers likewise;
--   * strings of over 2,000 characters: the customer of order 1 and about 2%
--     of the others, the note of order 1's first item and about 3% of the
--     others.

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

-- Items: 5 slots per order; an order keeps its first 1..5 slots (from the
-- random values of its slot 1), or none (never order 1). Ids are a random
-- permutation of the kept slots, spread out to 3k-2..3k.
WITH slots AS MATERIALIZED (
    SELECT s,
           (s - 1) / 5 + 1                 AS order_id,
           (s - 1) % 5 + 1                 AS slot,
           random()                        AS empty_r,
           1 + floor(random() * 5)::int    AS item_count,
           1 + floor(random() * 14)::int   AS name_i,
           1 + floor(random() * 5)::int    AS quantity,
           random()                        AS note_r,
           1 + floor(random() * 9)::int    AS note_i,
           floor(random() * 3)::int        AS id_offset,
           random()                        AS id_r,
           random()                        AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int * 5) AS s
),
kept AS (
    SELECT s.*, row_number() OVER (ORDER BY s.id_r, s.s) AS k
    FROM slots AS s
    JOIN slots AS first ON first.order_id = s.order_id AND first.slot = 1
    WHERE s.slot <= first.item_count
      AND (s.order_id = 1 OR (
               first.empty_r >= 0.08
               AND s.order_id % 6 <> 2
               AND s.order_id <> current_setting('nplus1.size')::int))
)
INSERT INTO items (id, order_id, name, quantity, note)
SELECT 3 * k.k - k.id_offset,
       k.order_id,
       n.name,
       k.quantity,
       CASE WHEN (k.order_id = 1 AND k.slot = 1) OR k.note_r >= 0.97
                THEN 'Bitte «vorsichtig» behandeln – it''s fragile! ' || repeat('Ça va? 壊れ物 "handle with care" \ ', 70)
            WHEN k.note_r < 0.5 THEN NULL
            ELSE t.note
       END
FROM kept AS k
JOIN (VALUES
        (1, 'Desk lamp'), (2, 'Tea "Earl Grey"'), (3, 'Children''s book'),
        (4, 'Crème brûlée torch'), (5, 'Käsekuchen'), (6, 'Salt & Pepper <set>'),
        (7, E'Poster \\o/'), (8, '抹茶 (matcha)'), (9, 'Rocket 🚀 mug'),
        (10, 'Notebook'), (11, 'USB-C cable'), (12, 'Señor Coconut LP'),
        (13, 'Ölkanne'), (14, 'Ручка (pen)')
     ) AS n (i, name) ON n.i = k.name_i
JOIN (VALUES
        (1, ''), (2, 'Gift wrap, please'), (3, 'Leave at the door – "round the back"'),
        (4, 'Für Oma 🎁'), (5, 'Don''t ring the bell'), (6, E'Line one\nLine two'),
        (7, E'Tab\there'), (8, E'C:\\Users\\me'), (9, '   ')
     ) AS t (i, note) ON t.i = k.note_i
ORDER BY k.shuffle, k.s;

ANALYZE orders, items;
