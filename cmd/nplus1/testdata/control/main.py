"""The orders-users N+1 inside a transaction, with a SHOW besides: its
requests run control statements (psycopg2's implicit BEGIN, SHOW, COMMIT)
as well as data statements, for the listing test."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

DATABASE_URL = os.environ["DATABASE_URL"]
PORT = int(os.environ["PORT"])


def list_orders():
    conn = psycopg2.connect(DATABASE_URL)
    try:
        cur = conn.cursor()
        cur.execute("SHOW server_version")
        cur.execute("SELECT id, user_id, product FROM orders ORDER BY id")
        result = []
        for order in cur.fetchall():
            cur.execute("SELECT name, email FROM users WHERE id = %s", (order[1],))
            user = cur.fetchone()
            result.append({"id": order[0], "product": order[2],
                           "user": {"id": order[1], "name": user[0], "email": user[1]}})
        conn.commit()
        return result
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(list_orders()).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
