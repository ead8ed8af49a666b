"""Serves GET /api/posts: every post with its 3 latest comments, as JSON sorted
by post id, through Django's ORM (a standalone program: settings configured
in code, no project scaffolding).

It is the fixed version of the starter. Instead of one query per post for its
latest comments (N+1 queries), prefetch_related(Prefetch("comments", ...,
to_attr="latest_comments")) fetches the latest comments of all the posts in
one more query (WHERE comments.post_id IN (...)). The limit is per post, so
the Prefetch's queryset keeps a comment only if it is among the 3 latest of
its post: id__in=Subquery(...), a subquery over the comment's own post
(OuterRef("post")), sorted newest first and sliced to 3. Two queries however
many posts there are. "-id" breaks ties between comments made at the same
instant. PostgreSQL runs that subquery once per comment, a few index reads
each, inside the one query. (Django 4.2 and later take a sliced queryset in
a Prefetch, and number each post's comments with a window function instead:
Prefetch("comments", queryset=Comment.objects.order_by("-created_at",
"-id")[:3]). Debian's Django 3.2 does not.)
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
from django.db.models import OuterRef, Prefetch, Subquery  # noqa: E402


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
    newest_first = ("-created_at", "-id")
    # the 3 latest comments of the post of the comment the query is looking at
    latest_of_its_post = Comment.objects.filter(post=OuterRef("post")).order_by(*newest_first).values("id")[:3]
    latest = Comment.objects.filter(id__in=Subquery(latest_of_its_post)).order_by(*newest_first)
    return [
        {
            "id": post.id,
            "title": post.title,
            "latest_comments": [
                {"id": comment.id, "author": comment.author, "body": comment.body}
                for comment in post.latest_comments
            ],
        }
        # prefetch_related: the latest comments of all the posts in one more
        # query - the fix
        for post in Post.objects.prefetch_related(
            Prefetch("comments", queryset=latest, to_attr="latest_comments")
        ).order_by("id")
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
