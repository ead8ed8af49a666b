"""Serves GET /api/orders: every order with its items and each item's product,
as JSON sorted by order id, each order's items sorted by item id, through
Django's ORM (a standalone program: settings configured in code, no project
scaffolding).

It is the fixed version of the starter. Instead of letting order.items fetch
each order's items, and item.product each item's product, with a query of
its own (1 + N + N*M queries), the queryset asks for them up front:
prefetch_related(Prefetch("items", queryset=Item.objects.select_related(
"product"))) fetches the items of all the orders in one more query (WHERE
items.order_id IN (...)) that joins each item's product to it. Two queries
however many orders and items there are; orders without items get an empty
list. (prefetch_related("items__product") would also pass: a third query
for the products, WHERE products.id IN (...).)
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
from django.db.models import Prefetch  # noqa: E402


class Product(models.Model):
    name = models.TextField()
    brand = models.TextField(null=True)  # None (JSON null) for an unbranded product
    price_cents = models.IntegerField()

    class Meta:
        app_label = "shop"
        db_table = "products"
        managed = False


class Order(models.Model):
    customer = models.TextField()

    class Meta:
        app_label = "shop"
        db_table = "orders"
        managed = False


class Item(models.Model):
    order = models.ForeignKey(Order, on_delete=models.DO_NOTHING, db_column="order_id", related_name="items")
    product = models.ForeignKey(Product, on_delete=models.DO_NOTHING, db_column="product_id")
    quantity = models.IntegerField()

    class Meta:
        app_label = "shop"
        db_table = "items"
        managed = False
        ordering = ["id"]  # order.items.all() comes sorted by item id


def item_json(item):
    product = item.product
    return {
        "id": item.id,
        "quantity": item.quantity,
        "product": {"id": product.id, "name": product.name, "brand": product.brand, "price_cents": product.price_cents},
    }


def list_orders():
    return [
        {"id": order.id, "customer": order.customer, "items": [item_json(item) for item in order.items.all()]}
        # prefetch_related: the items of all the orders in one more query,
        # select_related: their products joined to them - the fix
        for order in Order.objects.prefetch_related(
            Prefetch("items", queryset=Item.objects.select_related("product"))
        ).order_by("id")
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
