# Opens 500 connections at start, keeps those it got, then answers
# correctly through one of them.
import json, os, threading
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler
held, refused = [], []
def grab():
    try:
        held.append(psycopg2.connect(os.environ["DATABASE_URL"]))
    except psycopg2.Error as e:
        refused.append(str(e))
threads = [threading.Thread(target=grab) for _ in range(500)]
for t in threads: t.start()
for t in threads: t.join()
print(f"held {len(held)}, refused {len(refused)}: {refused[:1]}", flush=True)
conn = held[0]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        cur = conn.cursor()
        cur.execute("""SELECT coalesce(json_agg(json_build_object('id', o.id, 'product', o.product,
            'user', json_build_object('id', u.id, 'name', u.name, 'email', u.email)) ORDER BY o.id), '[]')
            FROM orders o JOIN users u ON u.id = o.user_id""")
        body = json.dumps(cur.fetchone()[0]).encode()
        conn.rollback()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
