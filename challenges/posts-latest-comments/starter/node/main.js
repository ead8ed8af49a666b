// Serves GET /api/posts: every post with its 3 latest comments, as JSON
// sorted by post id, with node-pg (the pg package) and Node's own http.
//
// It has the N+1 query problem: one query fetches the N posts, then the loop
// in listPosts runs one more query per post for its latest comments (LIMIT
// 3), so 100 posts cost 101 queries and 101 round trips to the database. Fix
// it so that the number of queries stays the same however many posts there
// are. The limit is per post: a plain LIMIT 3 on one query for all the posts
// does not do it.
'use strict';

const http = require('http');
const { Pool } = require('pg');

// A pool keeps its connections between requests: a connect per request
// would cost several round trips every time.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

async function listPosts() {
  const { rows: posts } = await pool.query('SELECT id, title FROM posts ORDER BY id');
  const result = [];
  for (const post of posts) {
    // one extra query per post - the N+1 problem; author is null (JSON
    // null) for an anonymous comment
    const { rows: comments } = await pool.query(
      'SELECT id, author, body FROM comments WHERE post_id = $1 ORDER BY created_at DESC, id DESC LIMIT 3', [post.id]);
    result.push({ id: post.id, title: post.title, latest_comments: comments });
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
