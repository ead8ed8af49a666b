-- The full expected response body of GET /api/orders, as one row and one
-- column of type json: every order sorted by id, each with its items sorted
-- by id ([] when it has none), each item with its product. Compare as JSON.
SELECT coalesce(
           json_agg(
               json_build_object(
                   'id', o.id,
                   'customer', o.customer,
                   'items', coalesce(i.items, '[]'::json)
               )
               ORDER BY o.id
           ),
           '[]'::json
       ) AS expected
FROM orders AS o
LEFT JOIN LATERAL (
    SELECT json_agg(
               json_build_object(
                   'id', i.id,
                   'quantity', i.quantity,
                   'product', json_build_object(
                       'id', p.id, 'name', p.name, 'brand', p.brand, 'price_cents', p.price_cents
                   )
               )
               ORDER BY i.id
           ) AS items
    FROM items AS i
    JOIN products AS p ON p.id = i.product_id
    WHERE i.order_id = o.id
) AS i ON true;
