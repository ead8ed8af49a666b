-- The full expected response body of GET /api/orders, as one row and one
-- column of type json: every order sorted by id, each with its user.
-- Key order in each object is the order of the response; compare as JSON.
SELECT coalesce(
           json_agg(
               json_build_object(
                   'id', o.id,
                   'product', o.product,
                   'user', json_build_object('id', u.id, 'name', u.name, 'email', u.email)
               )
               ORDER BY o.id
           ),
           '[]'::json
       ) AS expected
FROM orders AS o
JOIN users AS u ON u.id = o.user_id;
