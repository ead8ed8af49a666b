"""Serves GET /api/posts: every post with the number of its visible comments,
as JSON, newest first.

It is the fixed version of the starter. Instead of one count query per post
(N+1 queries), it fetches the posts, then counts the visible comments of all
of them in one query (WHERE post_id = ANY(...) GROUP BY post_id): two queries
per request however many posts there are. The posts without visible comments
get no row from the second query, so their count defaults to 0.
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


def list_posts():
    conn = connection()
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT id, title, author, published_on FROM posts"
            " ORDER BY published_on DESC, id DESC"
        )
        posts = [
            # author is None (JSON null) for a guest post
            {"id": id, "title": title, "author": author, "published_on": published_on.isoformat()}
            for id, title, author, published_on in cur.fetchall()
        ]
        counts = {}
        if posts:
            # one query for the counts of all the posts - the fix
            cur.execute(
                "SELECT post_id, count(*) FROM comments"
                " WHERE post_id = ANY(%s) AND NOT hidden GROUP BY post_id",
                ([post["id"] for post in posts],),
            )
            counts = dict(cur.fetchall())
        for post in posts:
            post["comment_count"] = counts.get(post["id"], 0)
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
