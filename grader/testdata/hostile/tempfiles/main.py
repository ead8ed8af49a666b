# Tries to lift temp_file_limit, then runs a query that spills far more
# than the limit to temporary files. Each answer waits half a second, far
# over the latency budget, so that the grader stops timing after as many
# requests every time (the card is golden).
import json, os, time
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
        try:
            cur.execute("SET temp_file_limit = -1")
        except psycopg2.Error:
            pass
        try:
            cur.execute("SELECT count(*) FROM generate_series(1, 50000000)")
        except psycopg2.Error as e:
            time.sleep(0.5)
            answer(self, 500, str(e).encode())
            return
        answer(self, 200, orders(cur))
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
