"""Serves GET /api/orders: every order with the user who placed it, as JSON
sorted by order id, through Django's ORM (a standalone program: settings
configured in code, no project scaffolding).

It has the N+1 query problem: one query loads the N orders, then reading
order.user in list_orders makes Django fetch each order's user with one more
query, so 100 orders cost 101 queries and 101 round trips to the database.
Fix it so that the number of queries stays the same however many orders
there are: tell the queryset to fetch the users with the orders.
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


class User(models.Model):
    name = models.TextField()
    email = models.TextField()

    class Meta:
        app_label = "shop"
        db_table = "users"
        managed = False


class Order(models.Model):
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, db_column="user_id")
    product = models.TextField()

    class Meta:
        app_label = "shop"
        db_table = "orders"
        managed = False


def list_orders():
    return [
        {
            "id": order.id,
            "product": order.product,
            # order.user runs one query per order - the N+1 problem
            "user": {"id": order.user.id, "name": order.user.name, "email": order.user.email},
        }
        for order in Order.objects.order_by("id")
    ]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/orders":
            self.send_error(404)
            return
        try:
            orders = list_orders()
        except DatabaseError as e:
            self.log_error("list orders: %s", e)
            self.send_error(500)
            return
        body = json.dumps(orders, ensure_ascii=False).encode("utf-8")
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
