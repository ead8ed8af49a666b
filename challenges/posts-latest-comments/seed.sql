-- Seed data for the posts-latest-comments challenge.
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
--   * posts with ids 1..n stored shuffled; the title of post 1 and about 3%
--     of the others is over 2,000 characters long;
--   * up to 12 comments per post; every post whose id is 3 mod 7 and about
--     5% of the others have none, and many have 1, 2 or 3, so "the latest
--     3" is often fewer; post 1 always has some;
--   * ties in created_at, broken by the higher id first: a post's comments
--     fall on only 5 possible instants, and every comment of the posts whose
--     id is 1 mod 4 shares one instant, so the order among them is by id
--     alone;
--   * comment ids that are sparse (3k-2..3k), follow neither created_at nor
--     the post ids nor the storage order, and are stored shuffled;
--   * authors that are NULL (about 20%) or empty (""); bodies and titles
--     with quotes, a backslash, a newline, non-ASCII letters, CJK and an
--     emoji; about 3% of the bodies are over 2,000 characters long.

-- Posts: ids 1..n.
WITH picks AS MATERIALIZED (
    SELECT g                               AS id,
           1 + floor(random() * 12)::int   AS title_i,
           random()                        AS long_r,
           random()                        AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int) AS g
)
INSERT INTO posts (id, title)
SELECT p.id,
       CASE WHEN p.id = 1 OR p.long_r < 0.03
            THEN 'A very long read: ' || repeat('Ünïcödé «quotes» "double" & ''single'', 東京 → Zürich; ', 40)
            ELSE t.title
       END
FROM picks AS p
JOIN (VALUES
        (1, 'Why "SELECT *" hurts'), (2, 'N+1: the quiet killer'), (3, 'Crème brûlée at 3 a.m.'),
        (4, 'Don''t cache that'), (5, 'Käsekuchen & Kaffee'), (6, '<script> in titles?'),
        (7, E'Paths like C:\\temp'), (8, '抹茶 latte art'), (9, 'Shipping 🚀 on Fridays'),
        (10, 'Indexes 101'), (11, 'Łódź meetup notes'), (12, 'Ёлка и SQL')
     ) AS t (i, title) ON t.i = p.title_i
ORDER BY p.shuffle, p.id;

-- Comments: 12 slots per post; a post keeps its first 0..12 slots (from the
-- random values of its slot 1; never none for post 1). A post's comments
-- are made on one random day, at one of 5 instants of that day. Ids are a
-- random permutation of the kept slots, spread out to 3k-2..3k.
WITH slots AS MATERIALIZED (
    SELECT s,
           (s - 1) / 12 + 1                AS post_id,
           (s - 1) % 12 + 1                AS slot,
           random()                        AS empty_r,
           floor(random() * 13)::int       AS comment_count,
           floor(random() * 60)::int       AS day,
           floor(random() * 5)::int        AS instant,
           1 + floor(random() * 10)::int   AS author_i,
           random()                        AS author_r,
           1 + floor(random() * 10)::int   AS body_i,
           random()                        AS long_r,
           floor(random() * 3)::int        AS id_offset,
           random()                        AS id_r,
           random()                        AS shuffle
    FROM generate_series(1, current_setting('nplus1.size')::int * 12) AS s
),
kept AS (
    SELECT s.*,
           first.day AS post_day,
           row_number() OVER (ORDER BY s.id_r, s.s) AS k
    FROM slots AS s
    JOIN slots AS first ON first.post_id = s.post_id AND first.slot = 1
    WHERE s.slot <= greatest(first.comment_count, CASE WHEN s.post_id = 1 THEN 4 ELSE 0 END)
      AND (s.post_id = 1 OR (first.empty_r >= 0.05 AND s.post_id % 7 <> 3))
)
INSERT INTO comments (id, post_id, author, body, created_at)
SELECT 3 * k.k - k.id_offset,
       k.post_id,
       CASE WHEN k.author_r < 0.2 THEN NULL ELSE a.name END,
       CASE WHEN k.long_r < 0.03
            THEN 'Long comment, bear with me. ' || repeat('Ça dépend — 場合による; "it depends" \ ', 60)
            ELSE b.body
       END,
       timestamptz '2024-05-01 00:00:00+00'
           + make_interval(days => k.post_day)
           + make_interval(hours => CASE WHEN k.post_id % 4 = 1 THEN 12 ELSE 2 + 3 * k.instant END)
FROM kept AS k
JOIN (VALUES
        (1, 'Zoë O''Brien'), (2, 'Łukasz Nguyễn'), (3, '山田 太郎'), (4, 'Ann Smith'),
        (5, '"Doc" Brown'), (6, ''), (7, 'Siobhán Ó Súilleabháin'), (8, 'D''Arcy García'),
        (9, 'Ann Smith'), (10, 'Åsa Øster')
     ) AS a (i, name) ON a.i = k.author_i
JOIN (VALUES
        (1, 'Great post!'), (2, 'I disagree, see "Indexes 101".'), (3, 'Merci 🙏'),
        (4, 'First!'), (5, 'Doesn''t this need an index?'), (6, 'なるほど'),
        (7, E'Two\nlines'), (8, E'C:\\Users\\me\\notes.txt'), (9, '<b>bold</b> & co'),
        (10, 'Great post!')
     ) AS b (i, body) ON b.i = k.body_i
ORDER BY k.shuffle, k.s;

ANALYZE posts, comments;
