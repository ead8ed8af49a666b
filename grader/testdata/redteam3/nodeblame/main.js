// Serves GET /api/orders: every order with the user who placed it, as JSON
// sorted by order id, with node-pg (the pg package) and Node's own http.
//
// It is the fixed version of the starter. Instead of one query per order for
// its user (N+1 queries), it fetches the orders, then all the users they need
// in one query, passing their ids as one array parameter (WHERE id =
// ANY($1)), and joins the two in JavaScript: two queries per request however
// many orders there are. (One query that JOINs users to orders also passes.)
'use strict';

const http = require('http');
const { Pool } = require('pg');

// A pool keeps its connections between requests: a connect per request
// would cost several round trips every time.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

async function listOrders() {
  const { rows: orders } = await pool.query('SELECT id, user_id, product FROM orders ORDER BY id');
  if (orders.length === 0) return [];
  // one query for all the users - the fix: node-pg sends a JS array as a
  // PostgreSQL array
  const ids = [...new Set(orders.map((order) => order.user_id))];
  const { rows: users } = await pool.query('SELECT id, name, email FROM users WHERE id = ANY($1)', [ids]);
  const byId = new Map(users.map((user) => [user.id, user]));
  return orders.map((order) => {
    const user = byId.get(order.user_id);
    return { id: order.id, product: order.product, user: { id: user.id, name: user.name, email: user.email } };
  });
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
