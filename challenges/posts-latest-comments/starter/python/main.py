"""Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
by post id.

It has the N+1 query problem: one query fetches the N posts, then the loop in
list_posts runs one more query per post for its latest comments, so 100 posts
cost 101 queries and 101 round trips to the database. Fix it so that the
number of queries stays the same however many posts there are.
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


def list_posts():
    conn = connection()
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, title FROM posts ORDER BY id")
        posts = [{"id": id, "title": title, "latest_comments": []} for id, title in cur.fetchall()]
        for post in posts:
            # one extra query per post - the N+1 problem
            cur.execute(
                "SELECT id, author, body FROM comments WHERE post_id = %s"
                " ORDER BY created_at DESC, id DESC LIMIT 3",
                (post["id"],),
            )
            for id, author, body in cur.fetchall():
                # author is None (JSON null) for an anonymous comment
                post["latest_comments"].append({"id": id, "author": author, "body": body})
        return posts
    finally:
        release(conn)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/posts":
            self.send_error(404)
            return
        try:
            posts = list_posts()
        except psycopg2.Error as e:
            self.log_error("list posts: %s", e)
            self.send_error(500)
            return
        body = json.dumps(posts, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
