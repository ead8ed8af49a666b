-- The full expected response body of GET /api/posts, as one row and one
-- column of type json: every post sorted by id, each with its 3 latest
-- comments, newest first (ties in created_at broken by the higher id
-- first); [] when it has none. Compare as JSON.
SELECT coalesce(
           json_agg(
               json_build_object(
                   'id', p.id,
                   'title', p.title,
                   'latest_comments', coalesce(c.comments, '[]'::json)
               )
               ORDER BY p.id
           ),
           '[]'::json
       ) AS expected
FROM posts AS p
LEFT JOIN LATERAL (
    SELECT json_agg(
               json_build_object('id', l.id, 'author', l.author, 'body', l.body)
               ORDER BY l.created_at DESC, l.id DESC
           ) AS comments
    FROM (
        SELECT c.id, c.author, c.body, c.created_at
        FROM comments AS c
        WHERE c.post_id = p.id
        ORDER BY c.created_at DESC, c.id DESC
        LIMIT 3
    ) AS l
) AS c ON true;
