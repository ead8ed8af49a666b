-- Seed data for the orders-users challenge.
--
-- Contract with the grader: in ONE session, on the empty schema, the grader runs
--     SELECT setseed(<a float in [-1, 1]>);
--     SET nplus1.size = '<n>';          -- the number of orders, n >= 0
-- and then this whole file as one multi-statement simple-protocol query.
-- The same seed and size give the same rows, stored in the same physical
-- order, on the same PostgreSQL major version: the only randomness is
-- random() after setseed, always evaluated over generate_series in order, and
-- the rows are inserted in an order fixed by those random values.
--
-- What the data holds, to trip careless fixes:
--   * greatest(1, n * 3 / 10) users; their ids are sparse (3k-2..3k) and they
--     are stored in a shuffled order, so "user id = position" and "rows come
--     back in id order" both fail;
--   * orders with ids 1..n stored in a shuffled order, so a query without
--     ORDER BY returns them out of order;
--   * the highest fifth of user ids never has an order (users without orders);
--   * names, emails and products with apostrophes, double quotes, a
--     backslash, &, < >, non-ASCII letters, CJK and an emoji, so hand-built
--     JSON or a wrong encoding shows; several users may share a name.

-- Users: ids 3k-2..3k for k = 1..greatest(1, n * 3 / 10), names from two lists.
WITH picks AS MATERIALIZED (
    SELECT 3 * k - floor(random() * 3)::int AS id,
           1 + floor(random() * 12)::int   AS first_i,
           1 + floor(random() * 12)::int   AS last_i,
           random()                        AS shuffle
    FROM generate_series(1, greatest(1, current_setting('nplus1.size')::int * 3 / 10)) AS k
)
INSERT INTO users (id, name, email)
SELECT p.id,
       f.name || ' ' || l.name,
       f.slug || '.' || l.slug || '.' || p.id || '@example.com'
FROM picks AS p
JOIN (VALUES
        (1, 'Zoë', 'zoe'),
        (2, 'Łukasz', 'lukasz'),
        (3, 'José', 'jose'),
        (4, 'Ann', 'ann'),
        (5, 'Siobhán', 'siobhan'),
        (6, '"Ace"', 'ace'),
        (7, 'Renée', 'renee'),
        (8, '太郎', 'taro'),
        (9, 'Mary-Jane', 'mary-jane'),
        (10, 'D''Arcy', 'darcy'),
        (11, 'Ngọc', 'ngoc'),
        (12, 'Åsa', 'asa')
     ) AS f (i, name, slug) ON f.i = p.first_i
JOIN (VALUES
        (1, 'O''Brien', 'obrien'),
        (2, 'Nguyễn', 'nguyen'),
        (3, '山田', 'yamada'),
        (4, 'Müller', 'muller'),
        (5, 'Smith', 'smith'),
        (6, 'D''Angelo', 'dangelo'),
        (7, '"Doc" Brown', 'brown'),
        (8, 'García', 'garcia'),
        (9, 'Kowalski', 'kowalski'),
        (10, 'Ó Súilleabháin', 'osuilleabhain'),
        (11, 'van der Berg', 'vanderberg'),
        (12, 'Øster', 'oster')
     ) AS l (i, name, slug) ON l.i = p.last_i
ORDER BY p.shuffle, p.id;

-- Orders: ids 1..n, each placed by a user among the lowest four fifths of
-- user ids (ranked by id), inserted in a shuffled order.
WITH picks AS MATERIALIZED (
    SELECT g                               AS id,
           1 + floor(random() * (SELECT greatest(1, count(*) - count(*) / 5) FROM users))::int
                                           AS user_rank,
           1 + floor(random() * 12)::int   AS product_i,
           random()                        AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int) AS g
),
ranked_users AS (
    SELECT id, row_number() OVER (ORDER BY id) AS user_rank
    FROM users
)
INSERT INTO orders (id, user_id, product)
SELECT p.id, u.id, pr.name
FROM picks AS p
JOIN ranked_users AS u ON u.user_rank = p.user_rank
JOIN (VALUES
        (1, 'Desk lamp'),
        (2, 'Tea "Earl Grey"'),
        (3, 'Children''s book'),
        (4, 'Crème brûlée torch'),
        (5, 'Käsekuchen'),
        (6, 'Salt & Pepper <set>'),
        (7, E'Poster \\o/'),
        (8, '抹茶 (matcha)'),
        (9, 'Rocket 🚀 mug'),
        (10, 'Notebook'),
        (11, 'USB-C cable'),
        (12, 'Señor Coconut LP')
     ) AS pr (i, name) ON pr.i = p.product_i
ORDER BY p.shuffle, p.id;

ANALYZE users, orders;
