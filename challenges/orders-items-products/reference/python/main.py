"""Serves GET /api/orders: every order with its items and each item's product,
as JSON sorted by order id, each order's items sorted by item id.

It is the fixed version of the starter. Instead of one query per order for its
items and one per item for its product (1 + N + N*M queries), one query joins
the three tables and returns a row per item, sorted by order and item; Python
groups the rows into orders. One query per request however many orders and
items there are.

The join keeps the orders without items: items and products are joined to
each other first, and that pair is LEFT JOINed to orders. Written as
"orders LEFT JOIN items ... JOIN products ...", the inner join to products
would throw away the NULL rows the LEFT JOIN made for those orders.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import psycopg2

DATABASE_URL = os.environ["DATABASE_URL"]
PORT = int(os.environ["PORT"])

# One connection for the whole server, opened on first use and again if it
# broke: a connection per request would pay a connect (and, outside
# autocommit, a BEGIN) every time. Requests take turns on it.
_conn = None
_lock = threading.Lock()


def connection():
    global _conn
    _lock.acquire()
    try:
        if _conn is None or _conn.closed:
            _conn = psycopg2.connect(DATABASE_URL)
            _conn.autocommit = True  # plain reads need no transaction
    except Exception:
        _lock.release()
        raise
    return _conn


def release(conn):
    _lock.release()


ORDERS_SQL = """
SELECT o.id, o.customer, i.id, i.quantity, p.id, p.name, p.brand, p.price_cents
FROM orders AS o
LEFT JOIN (items AS i JOIN products AS p ON p.id = i.product_id)
       ON i.order_id = o.id
ORDER BY o.id, i.id
"""


def list_orders():
    conn = connection()
    try:
        cur = conn.cursor()
        # one query for everything - the fix
        cur.execute(ORDERS_SQL)
        orders = []
        for order_id, customer, item_id, quantity, product_id, name, brand, price_cents in cur:
            if not orders or orders[-1]["id"] != order_id:
                orders.append({"id": order_id, "customer": customer, "items": []})
            if item_id is None:
                continue  # an order without items: its one row of NULLs
            orders[-1]["items"].append({
                "id": item_id,
                "quantity": quantity,
                "product": {"id": product_id, "name": name, "brand": brand, "price_cents": price_cents},
            })
        return orders
    finally:
        release(conn)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/orders":
            self.send_error(404)
            return
        try:
            orders = list_orders()
        except psycopg2.Error as e:
            self.log_error("list orders: %s", e)
            self.send_error(500)
            return
        body = json.dumps(orders, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
