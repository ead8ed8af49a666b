# Turns its statement_timeout off and sleeps in the database on the first
# request; answers right afterwards.
import json, os
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler
conn = psycopg2.connect(os.environ["DATABASE_URL"])
conn.autocommit = True
def orders(cur):
    cur.execute("""SELECT coalesce(json_agg(json_build_object('id', o.id, 'product', o.product,
        'user', json_build_object('id', u.id, 'name', u.name, 'email', u.email)) ORDER BY o.id), '[]')
        FROM orders o JOIN users u ON u.id = o.user_id""")
    return json.dumps(cur.fetchone()[0]).encode()
def answer(handler, status, body):
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    handler.wfile.write(body)
first = True
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        global first
        cur = conn.cursor()
        if first:
            first = False
            try:
                cur.execute("SET statement_timeout = 0")
                cur.execute("SELECT pg_sleep(60)")
            except psycopg2.Error as e:
                answer(self, 500, str(e).encode())
                return
        answer(self, 200, orders(cur))
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
