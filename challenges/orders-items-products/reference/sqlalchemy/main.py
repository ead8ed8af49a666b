"""Serves GET /api/orders: every order with its items and each item's product,
as JSON sorted by order id, each order's items sorted by item id, through
SQLAlchemy's ORM (the 1.4 API, which 2.x runs too).

It is the fixed version of the starter. Instead of letting order.items
lazy-load each order's items, and item.product each item's product, with a
query of its own (1 + N + N*M queries), the query asks for both levels up
front with a chain of loader options, joinedload(Order.items).joinedload(
Item.product): SQLAlchemy LEFT OUTER JOINs the items to the orders and the
products to the items in the same SELECT, and sorts them into each order's
list, one query however many orders and items there are; orders without
items get an empty list. (selectinload(Order.items).selectinload(
Item.product) would load each level in a query of its own, WHERE ... IN
(...), three queries, but with at most 500 ids per query: more beyond 500
orders.)
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sqlalchemy import Column, ForeignKey, Integer, Text, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base, joinedload, relationship

# SQLAlchemy names the PostgreSQL dialect "postgresql", not "postgres".
DATABASE_URL = os.environ["DATABASE_URL"].replace("postgres://", "postgresql+psycopg2://", 1)
PORT = int(os.environ["PORT"])

Base = declarative_base()


class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    brand = Column(Text)  # None (JSON null) for an unbranded product
    price_cents = Column(Integer, nullable=False)


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False)
    product = relationship(Product)  # lazy="select": loaded on first access


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    customer = Column(Text, nullable=False)
    # lazy="select": loaded on first access, sorted by item id
    items = relationship(Item, order_by=Item.id)


# The engine keeps a pool of connections, so a request does not pay a
# connect; plain reads need no transaction.
engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")


def item_json(item):
    product = item.product
    return {
        "id": item.id,
        "quantity": item.quantity,
        "product": {"id": product.id, "name": product.name, "brand": product.brand, "price_cents": product.price_cents},
    }


def list_orders():
    with Session(engine) as session:
        # joinedload, chained: the items and their products come in the same
        # query, joined - the fix; unique() folds the rows of one order into
        # one Order
        query = select(Order).options(joinedload(Order.items).joinedload(Item.product)).order_by(Order.id)
        orders = session.execute(query).unique().scalars().all()
        return [
            {"id": order.id, "customer": order.customer, "items": [item_json(item) for item in order.items]}
            for order in orders
        ]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if urlsplit(self.path).path != "/api/orders":
            self.send_error(404)
            return
        try:
            orders = list_orders()
        except SQLAlchemyError as e:
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
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    server.serve_forever()
