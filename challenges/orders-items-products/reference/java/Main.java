
// Serves GET /api/orders: every order with its items and each item's product,
// as JSON sorted by order id, each order's items sorted by item id, with
// plain JDBC (PostgreSQL's pgjdbc driver) and the JDK's own HTTP server.
//
// It is the fixed version of the starter. Instead of one query per order for
// its items and one per item for its product (1 + N + N*M queries), it runs
// one query per level, each fetching every row that level needs at once,
// passing the keys as one array parameter (WHERE order_id = ANY(?), then
// WHERE id = ANY(?), each a java.sql.Array from Connection.createArrayOf),
// and puts the levels together in Java: three queries per request however
// many orders and items there are. Every order starts with an empty list, so
// the orders without items keep "items": [].

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

public class Main {
    // One connection, kept between requests: a connect per request would
    // cost several round trips every time. The server handles one request at
    // a time, so they take turns on it.
    static Connection conn;

    record Order(int id, String customer) {
        String json(List<String> items) {
            return "{\"id\":" + id + ",\"customer\":" + quote(customer) + ",\"items\":" + array(items) + "}";
        }
    }

    record Item(int id, int orderId, int productId, int quantity) {
        String json(Product product) {
            return "{\"id\":" + id + ",\"quantity\":" + quantity + ",\"product\":" + product.json() + "}";
        }
    }

    // brand is null (JSON null) for an unbranded product.
    record Product(int id, String name, String brand, int priceCents) {
        String json() {
            return "{\"id\":" + id + ",\"name\":" + quote(name) + ",\"brand\":" + quote(brand) + ",\"price_cents\":" + priceCents + "}";
        }

        static Product of(ResultSet rs) throws SQLException {
            return new Product(rs.getInt("id"), rs.getString("name"), rs.getString("brand"), rs.getInt("price_cents"));
        }
    }

    static List<Order> orders() throws SQLException {
        List<Order> orders = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement("SELECT id, customer FROM orders ORDER BY id");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) orders.add(new Order(rs.getInt("id"), rs.getString("customer")));
        }
        return orders;
    }

    // items reads the items a statement selected (id, order_id, product_id, quantity).
    static List<Item> items(PreparedStatement st) throws SQLException {
        List<Item> items = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) items.add(new Item(rs.getInt("id"), rs.getInt("order_id"), rs.getInt("product_id"), rs.getInt("quantity")));
        }
        return items;
    }

    static String listOrders() throws SQLException {
        List<Order> orders = orders();
        Map<Integer, List<String>> itemsByOrder = new LinkedHashMap<>();
        for (Order order : orders) itemsByOrder.put(order.id(), new ArrayList<>());
        // one query for the items of all the orders - the fix; sorted by
        // item id, so each order's list comes out sorted too
        List<Item> items;
        try (PreparedStatement st = conn.prepareStatement(
                "SELECT id, order_id, product_id, quantity FROM items WHERE order_id = ANY(?) ORDER BY id")) {
            st.setArray(1, conn.createArrayOf("int4", itemsByOrder.keySet().toArray()));
            items = items(st);
        }
        // and one query for the products of all the items
        Map<Integer, Product> products = new HashMap<>();
        try (PreparedStatement st = conn.prepareStatement("SELECT id, name, brand, price_cents FROM products WHERE id = ANY(?)")) {
            st.setArray(1, conn.createArrayOf("int4", items.stream().map(Item::productId).distinct().toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) products.put(rs.getInt("id"), Product.of(rs));
            }
        }
        for (Item item : items) itemsByOrder.get(item.orderId()).add(item.json(products.get(item.productId())));
        List<String> result = new ArrayList<>();
        for (Order order : orders) result.add(order.json(itemsByOrder.get(order.id())));
        return array(result);
    }

    // quote writes s as a JSON string, or null for a SQL NULL.
    static String quote(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    // array writes the JSON values as a JSON array.
    static String array(List<String> values) {
        return "[" + String.join(",", values) + "]";
    }

    // connect opens a connection to DATABASE_URL, a libpq URL
    // (postgres://user:password@host:port/db?sslmode=disable): JDBC wants
    // jdbc:postgresql://host:port/db?sslmode=disable, with the user and the
    // password, which the URL holds percent-encoded, given apart.
    static Connection connect(String databaseUrl) throws SQLException {
        URI u = URI.create(databaseUrl);
        Properties props = new Properties();
        String userInfo = u.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            props.setProperty("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) props.setProperty("password", decode(userInfo.substring(colon + 1)));
        }
        String host = u.getHost() == null ? "" : u.getHost();
        String port = u.getPort() < 0 ? "" : ":" + u.getPort();
        String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        return DriverManager.getConnection("jdbc:postgresql://" + host + port + u.getRawPath() + query, props);
    }

    // decode undoes a URL's percent-encoding ("%40" is "@"; a "+" stays "+").
    static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    static void handle(HttpExchange ex) throws IOException {
        int status = 200;
        String type = "application/json", body;
        if (!ex.getRequestMethod().equals("GET") || !ex.getRequestURI().getPath().equals("/api/orders")) {
            status = 404;
            type = "text/plain";
            body = "not found\n";
        } else {
            try {
                if (conn == null || conn.isClosed()) conn = connect(System.getenv("DATABASE_URL"));
                body = listOrders();
            } catch (SQLException e) {
                System.err.println("list orders: " + e.getMessage());
                try {
                    conn.close(); // a new connection for the next request
                } catch (Exception ignored) {
                }
                status = 500;
                type = "text/plain";
                body = "internal server error\n";
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    public static void main(String[] args) throws Exception {
        conn = connect(System.getenv("DATABASE_URL"));
        int port = Integer.parseInt(System.getenv("PORT"));
        // Without it the JDK's server holds a small response back until the
        // client acknowledges its headers (Nagle's algorithm): tens of
        // milliseconds more on every request.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        // No executor: one thread serves the requests, one at a time.
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", Main::handle);
        server.start();
        System.out.println("listening on http://127.0.0.1:" + port);
    }
}
