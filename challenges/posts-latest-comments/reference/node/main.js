// Serves GET /api/posts: every post with its 3 latest comments, as JSON
// sorted by post id, with node-pg (the pg package) and Node's own http.
//
// It is the fixed version of the starter. Instead of one query per post for
// its latest comments (N+1 queries), it fetches the posts, then the latest
// comments of all of them in one query, passing the post ids as one array
// parameter (WHERE post_id = ANY($1)): a window function numbers each post's
// comments, newest first, and the query keeps numbers 1 to 3. Two queries
// per request however many posts there are. "id DESC" breaks ties between
// comments made at the same instant. Every post starts with an empty list,
// so the posts without comments keep "latest_comments": [].
'use strict';

const http = require('http');
const { Pool } = require('pg');

// A pool keeps its connections between requests: a connect per request
// would cost several round trips every time.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

const LATEST_COMMENTS_SQL = `
SELECT post_id, id, author, body
FROM (
    SELECT post_id, id, author, body,
           row_number() OVER (PARTITION BY post_id ORDER BY created_at DESC, id DESC) AS rank
    FROM comments
    WHERE post_id = ANY($1)
) AS ranked
WHERE rank <= 3
ORDER BY post_id, rank`;

async function listPosts() {
  const { rows: posts } = await pool.query('SELECT id, title FROM posts ORDER BY id');
  const result = posts.map((post) => ({ id: post.id, title: post.title, latest_comments: [] }));
  if (result.length === 0) return result;
  const byId = new Map(result.map((post) => [post.id, post]));
  // one query for the latest comments of all the posts - the fix; sorted by
  // post and rank, so each post's list comes out newest first
  const { rows: comments } = await pool.query(LATEST_COMMENTS_SQL, [[...byId.keys()]]);
  for (const comment of comments) {
    // author is null (JSON null) for an anonymous comment
    byId.get(comment.post_id).latest_comments.push({ id: comment.id, author: comment.author, body: comment.body });
  }
  return result;
}

const server = http.createServer(async (req, res) => {
  if (req.method !== 'GET' || new URL(req.url, 'http://localhost').pathname !== '/api/posts') {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  try {
    const body = JSON.stringify(await listPosts());
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } catch (err) {
    console.error('list posts:', err.message);
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('internal server error\n');
  }
});

const port = Number(process.env.PORT);
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
