-- The full expected response body of GET /api/orders, as one row and one
-- column of type json: every order sorted by id, each with its items sorted
-- by id ([] when it has none). Compare as JSON.
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
               json_build_object('id', i.id, 'name', i.name, 'quantity', i.quantity, 'note', i.note)
               ORDER BY i.id
           ) AS items
    FROM items AS i
    WHERE i.order_id = o.id
) AS i ON true;
