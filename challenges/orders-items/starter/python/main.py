"""Serves GET /api/orders: every order with its items, as JSON sorted by order
id, each order's items sorted by item id.

It has the N+1 query problem: one query fetches the N orders, then the loop in
list_orders runs one more query per order to fetch its items, so 100 orders
cost 101 queries and 101 round trips to the database. Fix it so that the
number of queries stays the same however many orders there are.
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
# broke: a connection per request would pay a connect (several round trips)
# every time. Requests take turns on it.
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


def list_orders():
    conn = connection()
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, customer FROM orders ORDER BY id")
        orders = [{"id": id, "customer": customer, "items": []} for id, customer in cur.fetchall()]
        for order in orders:
            # one extra query per order - the N+1 problem
            cur.execute(
                "SELECT id, name, quantity, note FROM items WHERE order_id = %s ORDER BY id",
                (order["id"],),
            )
            for id, name, quantity, note in cur.fetchall():
                # note is None (JSON null) when the customer left no note
                order["items"].append({"id": id, "name": name, "quantity": quantity, "note": note})
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
