// Serves GET /api/posts: every post with the number of its visible comments,
// as JSON, newest first, with node-pg (the pg package) and Node's own http.
//
// It has the N+1 query problem: one query fetches the N posts, then the loop
// in listPosts runs one more query per post to count its comments, so 100
// posts cost 101 queries and 101 round trips to the database. Fix it so that
// the number of queries stays the same however many posts there are.
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
  for (const post of posts) {
    // one extra query per post - the N+1 problem; count(*) is a bigint,
    // which node-pg returns as a string: ::int makes it a number
    const { rows } = await pool.query(
      'SELECT count(*)::int AS count FROM comments WHERE post_id = $1 AND NOT hidden', [post.id]);
    // author is null (JSON null) for a guest post
    post.comment_count = rows[0].count;
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
