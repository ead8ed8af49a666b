"""A right fix that connects to the database in every request, as the
starters once did: its latency pays a connect each time."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import psycopg2

DATABASE_URL = os.environ["DATABASE_URL"]
PORT = int(os.environ["PORT"])


def list_orders():
    conn = psycopg2.connect(DATABASE_URL)
    try:
        cur = conn.cursor()
        cur.execute("SELECT o.id, o.product, u.id, u.name, u.email FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id")
        result = [{"id": r[0], "product": r[1], "user": {"id": r[2], "name": r[3], "email": r[4]}} for r in cur.fetchall()]
        return result
    finally:
        conn.close()


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
