// Serves GET /api/orders: every order with the user who placed it, as JSON
// sorted by order id, with node-pg (the pg package) and Node's own http.
//
// It has the N+1 query problem: one query fetches the N orders, then the loop
// in listOrders runs one more query per order to fetch its user, so 100
// orders cost 101 queries and 101 round trips to the database. Fix it so that
// the number of queries stays the same however many orders there are.
'use strict';

const http = require('http');
const { Pool } = require('pg');

// A pool keeps its connections between requests: a connect per request
// would cost several round trips every time.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

async function listOrders() {
  const { rows: orders } = await pool.query('SELECT id, user_id, product FROM orders ORDER BY id');
  const result = [];
  for (const order of orders) {
    // one extra query per order - the N+1 problem
    const { rows } = await pool.query('SELECT id, name, email FROM users WHERE id = $1', [order.user_id]);
    const user = rows[0];
    result.push({ id: order.id, product: order.product, user: { id: user.id, name: user.name, email: user.email } });
  }
  return result;
}

const server = http.createServer(async (req, res) => {
  if (req.method !== 'GET' || new URL(req.url, 'http://localhost').pathname !== '/api/orders') {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  try {
    const body = JSON.stringify(await listOrders());
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } catch (err) {
    console.error('list orders:', err.message);
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end('internal server error\n');
  }
});

const port = Number(process.env.PORT);
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
