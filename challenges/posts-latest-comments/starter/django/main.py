"""Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
by post id, through Django's ORM (a standalone program: settings configured
in code, no project scaffolding).

It has the N+1 query problem: one query loads the N posts, then
post.comments...[:3] in list_posts makes Django fetch each post's latest
comments with one more query (LIMIT 3), so 100 posts cost 101 queries and
101 round trips to the database. Fix it so that the number of queries stays
the same however many posts there are: fetch the latest comments of all the
posts with the posts. The limit is per post: a plain [:3] on one query for
all the posts does not do it.
"""

import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import django
from django.conf import settings


def database_settings(url):
    """Django's DATABASES entry for a postgres:// URL."""
    u = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(u.path.lstrip("/")),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
        "OPTIONS": dict(parse_qsl(u.query)),  # sslmode=...
        # Keep the connection between requests: a connect per request
        # would cost several round trips every time.
        "CONN_MAX_AGE": None,
    }


settings.configure(
    DATABASES={"default": database_settings(os.environ["DATABASE_URL"])},
    INSTALLED_APPS=[],
    USE_TZ=True,
)
django.setup()

from django.db import DatabaseError, models  # noqa: E402  (after setup)


class Post(models.Model):
    title = models.TextField()

    class Meta:
        app_label = "forum"
        db_table = "posts"
        managed = False


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, db_column="post_id", related_name="comments")
    author = models.TextField(null=True)  # None (JSON null) for an anonymous comment
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        app_label = "forum"
        db_table = "comments"
        managed = False


def list_posts():
    return [
        {
            "id": post.id,
            "title": post.title,
            # post.comments...[:3] runs one query per post - the N+1 problem
            "latest_comments": [
                {"id": comment.id, "author": comment.author, "body": comment.body}
                for comment in post.comments.order_by("-created_at", "-id")[:3]
            ],
        }
        for post in Post.objects.order_by("id")
    ]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/posts":
            self.send_error(404)
            return
        try:
            posts = list_posts()
        except DatabaseError as e:
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
    PORT = int(os.environ["PORT"])
    # One thread: Django keeps a database connection per thread, so a
    # thread per request would open a connection per request.
    server = HTTPServer(("127.0.0.1", PORT), Handler)
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
