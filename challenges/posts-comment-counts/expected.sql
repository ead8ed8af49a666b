-- The full expected response body of GET /api/posts, as one row and one
-- column of type json: every post, newest first (ties broken by the higher
-- id first), each with the number of its comments that are not hidden (0
-- when it has none). Compare as JSON.
SELECT coalesce(
           json_agg(
               json_build_object(
                   'id', p.id,
                   'title', p.title,
                   'author', p.author,
                   'published_on', to_char(p.published_on, 'YYYY-MM-DD'),
                   'comment_count', (SELECT count(*) FROM comments AS c WHERE c.post_id = p.id AND NOT c.hidden)
               )
               ORDER BY p.published_on DESC, p.id DESC
           ),
           '[]'::json
       ) AS expected
FROM posts AS p;
