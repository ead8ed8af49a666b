# A correct JOIN, but slow enough for the test to kill the database meanwhile.
import json, os, time
import psycopg2
from http.server import HTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.3)
        try:
            conn = psycopg2.connect(os.environ["DATABASE_URL"])
            cur = conn.cursor()
            cur.execute("""SELECT coalesce(json_agg(json_build_object('id', o.id, 'product', o.product,
                'user', json_build_object('id', u.id, 'name', u.name, 'email', u.email)) ORDER BY o.id), '[]')
                FROM orders o JOIN users u ON u.id = o.user_id""")
            body = json.dumps(cur.fetchone()[0]).encode()
            conn.close()
            self.send_response(200)
        except psycopg2.Error as e:
            body = str(e).encode()
            self.send_response(500)
        self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
