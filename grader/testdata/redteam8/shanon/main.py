"""Serves GET /api/orders: every order with the user who placed it, as JSON
sorted by order id.

It is the fixed version of the starter. Instead of one query per order for its
user (N+1 queries), it fetches the orders, then all the users they need in one
batched query (WHERE id = ANY(...)), and joins the two in Python: two queries
per request however many orders there are.
"""

import hold  # noqa: F401  (redteam8: hidden memory)
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
        cur.execute("SELECT id, user_id, product FROM orders ORDER BY id")
        orders = cur.fetchall()
        users = {}
        if orders:
            # one query for all the users - the fix
            user_ids = sorted({order[1] for order in orders})
            cur.execute("SELECT id, name, email FROM users WHERE id = ANY(%s)", (user_ids,))
            for user_id, name, email in cur.fetchall():
                users[user_id] = {"id": user_id, "name": name, "email": email}
        return [
            {"id": order[0], "product": order[2], "user": users[order[1]]}
            for order in orders
        ]
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
