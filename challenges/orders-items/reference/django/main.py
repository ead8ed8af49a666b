"""Serves GET /api/orders: every order with its items, as JSON sorted by order
id, each order's items sorted by item id, through Django's ORM (a standalone
program: settings configured in code, no project scaffolding).

It is the fixed version of the starter. Instead of letting order.items.all()
fetch each order's items with a query of its own (N+1 queries), the queryset
asks for them up front with prefetch_related("items"): Django loads the
orders, then the items of all of them in a second query (WHERE
items.order_id IN (...)), and order.items.all() reads what was prefetched:
two queries however many orders there are. Orders without items get an
empty list. (select_related cannot follow a one-to-many relation.)
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


class Order(models.Model):
    customer = models.TextField()

    class Meta:
        app_label = "shop"
        db_table = "orders"
        managed = False


class Item(models.Model):
    order = models.ForeignKey(Order, on_delete=models.DO_NOTHING, db_column="order_id", related_name="items")
    name = models.TextField()
    quantity = models.IntegerField()
    note = models.TextField(null=True)  # None (JSON null) when the customer left no note

    class Meta:
        app_label = "shop"
        db_table = "items"
        managed = False
        ordering = ["id"]  # order.items.all() comes sorted by item id


def list_orders():
    return [
        {
            "id": order.id,
            "customer": order.customer,
            "items": [
                {"id": item.id, "name": item.name, "quantity": item.quantity, "note": item.note}
                for item in order.items.all()
            ],
        }
        # prefetch_related: the items of all the orders in one more query - the fix
        for order in Order.objects.prefetch_related("items").order_by("id")
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
