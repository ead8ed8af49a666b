// Serves GET /api/orders: every order with its items and each item's product,
// as JSON sorted by order id, each order's items sorted by item id, with
// node-pg (the pg package) and Node's own http.
//
// It is the fixed version of the starter. Instead of one query per order for
// its items and one per item for its product (1 + N + N*M queries), it runs
// one query per level, each fetching every row that level needs at once,
// passing the keys as one array parameter (WHERE order_id = ANY($1), then
// WHERE id = ANY($1)), and puts the levels together in JavaScript: three
// queries per request however many orders and items there are. Every order
// starts with an empty list, so the orders without items keep "items": [].
'use strict';

const http = require('http');
const { Pool } = require('pg');

// A pool keeps its connections between requests: a connect per request
// would cost several round trips every time.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

async function listOrders() {
  const { rows: orders } = await pool.query('SELECT id, customer FROM orders ORDER BY id');
  const result = orders.map((order) => ({ id: order.id, customer: order.customer, items: [] }));
  if (result.length === 0) return result;
  const byId = new Map(result.map((order) => [order.id, order]));
  // one query for the items of all the orders - the fix; sorted by item id,
  // so each order's list comes out sorted too
  const { rows: items } = await pool.query(
    'SELECT id, order_id, product_id, quantity FROM items WHERE order_id = ANY($1) ORDER BY id', [[...byId.keys()]]);
  if (items.length === 0) return result;
  // and one query for the products of all the items; brand is null (JSON
  // null) for an unbranded product
  const productIds = [...new Set(items.map((item) => item.product_id))];
  const { rows: products } = await pool.query(
    'SELECT id, name, brand, price_cents FROM products WHERE id = ANY($1)', [productIds]);
  const productById = new Map(products.map((product) => [product.id, product]));
  for (const item of items) {
    byId.get(item.order_id).items.push({ id: item.id, quantity: item.quantity, product: productById.get(item.product_id) });
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
