// Serves GET /api/orders: every order with its items and each item's product,
// as JSON sorted by order id, each order's items sorted by item id, with
// node-pg (the pg package) and Node's own http.
//
// It has the N+1 query problem twice over: one query fetches the N orders,
// the loop in listOrders runs one query per order for its items, and the loop
// inside it runs one query per item for its product. 50 orders of 3 items
// each cost 1 + 50 + 150 = 201 queries, each a round trip to the database.
// Fix it so that the number of queries stays the same however many orders and
// items there are.
'use strict';

const http = require('http');
const { Pool } = require('pg');

// A pool keeps its connections between requests: a connect per request
// would cost several round trips every time.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

async function listOrders() {
  const { rows: orders } = await pool.query('SELECT id, customer FROM orders ORDER BY id');
  const result = [];
  for (const order of orders) {
    // one extra query per order - the first N+1
    const { rows: items } = await pool.query(
      'SELECT id, product_id, quantity FROM items WHERE order_id = $1 ORDER BY id', [order.id]);
    const list = [];
    for (const item of items) {
      // and one extra query per item - the second, nested N+1; brand is
      // null (JSON null) for an unbranded product
      const { rows } = await pool.query(
        'SELECT id, name, brand, price_cents FROM products WHERE id = $1', [item.product_id]);
      list.push({ id: item.id, quantity: item.quantity, product: rows[0] });
    }
    result.push({ id: order.id, customer: order.customer, items: list });
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
