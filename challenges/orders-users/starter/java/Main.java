
// Serves GET /api/orders: every order with the user who placed it, as JSON
// sorted by order id, with plain JDBC (PostgreSQL's pgjdbc driver) and the
// JDK's own HTTP server.
//
// It has the N+1 query problem: one query fetches the N orders, then the
// loop in listOrders runs one more query per order to fetch its user, so 100
// orders cost 101 queries and 101 round trips to the database. Fix it so
// that the number of queries stays the same however many orders there are.

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
import java.util.List;
import java.util.Properties;

public class Main {
    // One connection, kept between requests: a connect per request would
    // cost several round trips every time. The server handles one request at
    // a time, so they take turns on it.
    static Connection conn;

    record User(int id, String name, String email) {
        String json() {
            return "{\"id\":" + id + ",\"name\":" + quote(name) + ",\"email\":" + quote(email) + "}";
        }
    }

    record Order(int id, int userId, String product) {
        String json(User user) {
            return "{\"id\":" + id + ",\"product\":" + quote(product) + ",\"user\":" + user.json() + "}";
        }
    }

    static List<Order> orders() throws SQLException {
        List<Order> orders = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement("SELECT id, user_id, product FROM orders ORDER BY id");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) orders.add(new Order(rs.getInt("id"), rs.getInt("user_id"), rs.getString("product")));
        }
        return orders;
    }

    static String listOrders() throws SQLException {
        List<String> result = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement("SELECT id, name, email FROM users WHERE id = ?")) {
            for (Order order : orders()) {
                // one extra query per order - the N+1 problem
                st.setInt(1, order.userId());
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    result.add(order.json(new User(rs.getInt("id"), rs.getString("name"), rs.getString("email"))));
                }
            }
        }
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
