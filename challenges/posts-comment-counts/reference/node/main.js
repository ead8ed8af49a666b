// Serves GET /api/posts: every post with the number of its visible comments,
// as JSON, newest first, with node-pg (the pg package) and Node's own http.
//
// It is the fixed version of the starter. Instead of one count query per
// post (N+1 queries), it fetches the posts, then counts the visible comments
// of all of them in one query, passing the post ids as one array parameter
// (WHERE post_id = ANY($1) ... GROUP BY post_id): two queries per request
// however many posts there are. The posts without visible comments get no
// row from the second query, so their count is 0. (One query that LEFT
// JOINs the comments to the posts and groups by post also passes.)
'use strict';

const http = require('http');
const { Pool } = require('pg');

// A pool keeps its connections between requests: a connect per request
// would cost several round trips every time.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

// node-pg turns a date into a JavaScript Date (a timestamp in JSON): the
// query formats published_on as YYYY-MM-DD itself, and sorts by the date
// (posts.published_on), not by the text of the same name.
const POSTS_SQL = `SELECT id, title, author, to_char(published_on, 'YYYY-MM-DD') AS published_on
FROM posts ORDER BY posts.published_on DESC, id DESC`;

async function listPosts() {
  const { rows: posts } = await pool.query(POSTS_SQL);
  if (posts.length === 0) return posts;
  // one query for the counts of all the posts - the fix; count(*) is a
  // bigint, which node-pg returns as a string: ::int makes it a number
  const { rows } = await pool.query(
    'SELECT post_id, count(*)::int AS count FROM comments WHERE post_id = ANY($1) AND NOT hidden GROUP BY post_id',
    [posts.map((post) => post.id)]);
  const counts = new Map(rows.map((row) => [row.post_id, row.count]));
  for (const post of posts) {
    // author is null (JSON null) for a guest post
    post.comment_count = counts.get(post.id) ?? 0;
  }
  return posts;
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
