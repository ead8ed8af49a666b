-- Schema for the orders-items challenge.
-- Plain SQL, run by the grader as one simple-protocol query.

CREATE TABLE orders (
    id       int  PRIMARY KEY,
    customer text NOT NULL
);

CREATE TABLE items (
    id       int  PRIMARY KEY,
    order_id int  NOT NULL REFERENCES orders (id),
    name     text NOT NULL,
    quantity int  NOT NULL CHECK (quantity > 0),
    note     text            -- NULL when the customer left no note
);

CREATE INDEX items_order_id_idx ON items (order_id);
