-- Seed data for the posts-comment-counts challenge.
--
-- Contract with the grader: in ONE session, on the empty schema, the grader runs
--     SELECT setseed(<a float in [-1, 1]>);
--     SET nplus1.size = '<n>';          -- the number of posts, n >= 0
-- and then this whole file as one multi-statement simple-protocol query.
-- The same seed and size give the same rows, stored in the same physical
-- order, on the same PostgreSQL major version: the only randomness is
-- random() after setseed, evaluated over one generate_series per statement,
-- in order, in a MATERIALIZED CTE, and the rows are inserted in an order
-- fixed by those random values.
--
-- What the data holds, to trip careless fixes:
--   * posts with ids 1..n stored shuffled, published on greatest(3, n / 2)
--     possible days, so many share a day (ties in the sort key, broken by
--     id, which the storage order does not follow);
--   * authors that are NULL (about 20%) or empty (""); titles and authors
--     with quotes, a backslash, &, < >, non-ASCII letters, CJK and an emoji;
--     the title of post 1 and about 3% of the others is over 2,000
--     characters long;
--   * up to 10 comments per post; every post whose id is 4 mod 7 and about
--     5% of the others have none (count(*) over a LEFT JOIN counts them as
--     1, an inner JOIN drops them), post 1 always has some;
--   * about 15% of the comments hidden by a moderator, and every comment of
--     the posts whose id is 3 mod 11 (and of about 3% of the others) hidden:
--     those posts count 0 (a WHERE NOT hidden after a LEFT JOIN drops them);
--   * comment ids that are sparse (3k-2..3k), follow neither the post ids
--     nor the storage order, and are stored shuffled.

-- Posts: ids 1..n, published on one of greatest(3, n / 2) days from 2024-01-01.
WITH picks AS MATERIALIZED (
    SELECT g                                AS id,
           1 + floor(random() * 14)::int    AS title_i,
           random()                         AS long_r,
           1 + floor(random() * 10)::int    AS author_i,
           random()                         AS author_r,
           floor(random() * greatest(3, current_setting('nplus1.size')::int / 2))::int
                                            AS day,
           random()                         AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int) AS g
)
INSERT INTO posts (id, title, author, published_on)
SELECT p.id,
       CASE WHEN p.id = 1 OR p.long_r < 0.03
            THEN 'A very long read: ' || repeat('Ünïcödé «quotes» "double" & ''single'', 東京 → Zürich; ', 40)
            ELSE t.title
       END,
       CASE WHEN p.author_r < 0.2 THEN NULL ELSE a.name END,
       date '2024-01-01' + p.day
FROM picks AS p
JOIN (VALUES
        (1, 'Why "SELECT *" hurts'), (2, 'N+1: the quiet killer'), (3, 'Crème brûlée at 3 a.m.'),
        (4, 'Don''t cache that'), (5, 'Käsekuchen & Kaffee'), (6, '<script> in titles?'),
        (7, E'Paths like C:\\temp'), (8, '抹茶 latte art'), (9, 'Shipping 🚀 on Fridays'),
        (10, 'Indexes 101'), (11, 'Indexes 101'), (12, 'Señor SQL'),
        (13, 'Łódź meetup notes'), (14, 'Ёлка и SQL')
     ) AS t (i, title) ON t.i = p.title_i
JOIN (VALUES
        (1, 'Zoë O''Brien'), (2, 'Łukasz Nguyễn'), (3, '山田 太郎'), (4, 'Ann Smith'),
        (5, '"Doc" Brown'), (6, ''), (7, 'Siobhán Ó Súilleabháin'), (8, 'D''Arcy García'),
        (9, 'Ann Smith'), (10, 'Åsa Øster')
     ) AS a (i, name) ON a.i = p.author_i
ORDER BY p.shuffle, p.id;

-- Comments: 10 slots per post; a post keeps its first 1..10 slots (from
-- the random values of its slot 1), or none (never post 1). Ids are a
-- random permutation of the kept slots, spread out to 3k-2..3k.
WITH slots AS MATERIALIZED (
    SELECT s,
           (s - 1) / 10 + 1                AS post_id,
           (s - 1) % 10 + 1                AS slot,
           random()                        AS empty_r,
           1 + floor(random() * 10)::int   AS comment_count,
           random()                        AS all_hidden_r,
           random()                        AS hidden_r,
           1 + floor(random() * 8)::int    AS body_i,
           floor(random() * 3)::int        AS id_offset,
           random()                        AS id_r,
           random()                        AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int * 10) AS s
),
kept AS (
    SELECT s.*,
           s.post_id % 11 = 3 OR first.all_hidden_r < 0.03 AS all_hidden,
           row_number() OVER (ORDER BY s.id_r, s.s) AS k
    FROM slots AS s
    JOIN slots AS first ON first.post_id = s.post_id AND first.slot = 1
    WHERE s.slot <= first.comment_count
      AND (s.post_id = 1 OR (first.empty_r >= 0.05 AND s.post_id % 7 <> 4))
)
INSERT INTO comments (id, post_id, body, hidden)
SELECT 3 * k.k - k.id_offset,
       k.post_id,
       b.body,
       k.all_hidden OR k.hidden_r < 0.15
FROM kept AS k
JOIN (VALUES
        (1, 'Great post!'), (2, 'I disagree, see "Indexes 101".'), (3, 'Merci 🙏'),
        (4, 'First!'), (5, 'Spam spam spam'), (6, 'Doesn''t this need an index?'),
        (7, 'なるほど'), (8, E'Two\nlines')
     ) AS b (i, body) ON b.i = k.body_i
ORDER BY k.shuffle, k.s;

ANALYZE posts, comments;
