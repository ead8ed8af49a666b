"""Serves GET /api/posts: every post with the number of its visible comments,
as JSON, newest first, through Django's ORM (a standalone program: settings
configured in code, no project scaffolding).

It is the fixed version of the starter. Instead of counting each post's
comments with a query of its own (N+1 queries), the queryset counts them
with the posts: annotate(comment_count=Count("comments", filter=...)) makes
Django LEFT OUTER JOIN the comments to the posts and group by post, one
query however many posts there are. COUNT(comments.id) counts a post
without comments as 0, and the filter (hidden=False) is a FILTER on the
count, not a WHERE that would drop the posts whose comments are all hidden.
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
    # This program is the app its models belong to: Django follows a
    # relation backwards in a query (from a post to its comments) only
    # between the models of installed apps.
    INSTALLED_APPS=["__main__"],
    USE_TZ=True,
)
django.setup()

from django.db import DatabaseError, models  # noqa: E402  (after setup)
from django.db.models import Count, Q  # noqa: E402


class Post(models.Model):
    title = models.TextField()
    author = models.TextField(null=True)  # None (JSON null) for a guest post
    published_on = models.DateField()

    class Meta:
        db_table = "posts"
        managed = False


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, db_column="post_id", related_name="comments")
    body = models.TextField()
    hidden = models.BooleanField()  # hidden by a moderator: not counted

    class Meta:
        db_table = "comments"
        managed = False


def list_posts():
    return [
        {
            "id": post.id,
            "title": post.title,
            "author": post.author,
            "published_on": post.published_on.isoformat(),
            "comment_count": post.comment_count,
        }
        # annotate(Count): the counts come in the same query, grouped - the fix
        for post in Post.objects.annotate(
            comment_count=Count("comments", filter=Q(comments__hidden=False))
        ).order_by("-published_on", "-id")
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
