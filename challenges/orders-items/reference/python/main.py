"""Serves GET /api/orders: every order with its items, as JSON sorted by order
id, each order's items sorted by item id.

It is the fixed version of the starter. Instead of one query per order for its
items (N+1 queries), it fetches the orders, then the items of all of them in
one batched query (WHERE order_id = ANY(...)), and groups the items by order in
Python: two queries per request however many orders there are. Every order
starts with an empty list, so the orders without items keep "items": [].
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


def list_orders():
    conn = connection()
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, customer FROM orders ORDER BY id")
        orders = [{"id": id, "customer": customer, "items": []} for id, customer in cur.fetchall()]
        by_id = {order["id"]: order for order in orders}
        if by_id:
            # one query for the items of all the orders - the fix; sorted by
            # item id, so each order's list comes out sorted too
            cur.execute(
                "SELECT id, order_id, name, quantity, note FROM items"
                " WHERE order_id = ANY(%s) ORDER BY id",
                (list(by_id),),
            )
            for id, order_id, name, quantity, note in cur.fetchall():
                by_id[order_id]["items"].append(
                    {"id": id, "name": name, "quantity": quantity, "note": note}
                )
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
