// Serves GET /api/orders: every order with the user who placed it, as JSON
// sorted by order id, through Hibernate (3.6, Debian's) and the JDK's own
// HTTP server.
//
// It has the N+1 query problem: one query loads the N orders, then
// order.json() reads each order's user, a lazy many-to-one, and Hibernate
// loads it with one more query per user, so 100 orders cost about as many
// queries and round trips to the database. Fix it so that the number of
// queries stays the same however many orders there are: tell the query to
// load the users with the orders.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import javax.persistence.Entity;
import javax.persistence.FetchType;
import javax.persistence.Id;
import javax.persistence.JoinColumn;
import javax.persistence.ManyToOne;
import javax.persistence.Table;
import org.hibernate.Query;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.Configuration;

public class Main {
    static SessionFactory sessions;

    @SuppressWarnings("unchecked")
    static <T> List<T> list(Query query) {
        return query.list();
    }

    static String listOrders(Session session) {
        List<String> result = new ArrayList<>();
        for (Order order : Main.<Order>list(session.createQuery("from Order o order by o.id"))) {
            // order.json() reads order.getUser(): one query per user - the N+1 problem
            result.add(order.json());
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

    // settings are Hibernate's settings for DATABASE_URL, a libpq URL
    // (postgres://user:password@host:port/db?sslmode=disable): JDBC wants
    // jdbc:postgresql://host:port/db?sslmode=disable, with the user and the
    // password, which the URL holds percent-encoded, given apart.
    static Properties settings(String databaseUrl) {
        URI u = URI.create(databaseUrl);
        Properties props = new Properties();
        String userInfo = u.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            props.setProperty("hibernate.connection.username", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) props.setProperty("hibernate.connection.password", decode(userInfo.substring(colon + 1)));
        }
        String host = u.getHost() == null ? "" : u.getHost();
        String port = u.getPort() < 0 ? "" : ":" + u.getPort();
        String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        props.setProperty("hibernate.connection.url", "jdbc:postgresql://" + host + port + u.getRawPath() + query);
        props.setProperty("hibernate.connection.driver_class", "org.postgresql.Driver");
        props.setProperty("hibernate.dialect", "org.hibernate.dialect.PostgreSQLDialect");
        // Hibernate's own pool, of one connection, kept between requests:
        // a connect per request would cost several round trips every time.
        props.setProperty("hibernate.connection.pool_size", "1");
        return props;
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
            // A session per request, in a transaction; it only reads.
            Session session = sessions.openSession();
            try {
                session.beginTransaction();
                body = listOrders(session);
                session.getTransaction().commit();
            } catch (RuntimeException e) {
                System.err.println("list orders: " + e);
                status = 500;
                type = "text/plain";
                body = "internal server error\n";
            } finally {
                session.close(); // a transaction left open rolls back
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
        sessions = new Configuration().addProperties(settings(System.getenv("DATABASE_URL")))
            .addAnnotatedClass(User.class).addAnnotatedClass(Order.class).buildSessionFactory();
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

// The entities: the tables' rows as Hibernate maps them.

@Entity
@Table(name = "users")
class User {
    @Id
    private int id;
    private String name;
    private String email;

    public int getId() { return id; }
    public String getName() { return name; }
    public String getEmail() { return email; }
}

@Entity
@Table(name = "orders")
class Order {
    @Id
    private int id;
    private String product;
    // LAZY: reading order.getUser()'s fields loads the user, with a query
    // of its own, unless the query that loaded the order fetched it too.
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "user_id")
    private User user;

    public int getId() { return id; }
    public String getProduct() { return product; }
    public User getUser() { return user; }

    String json() {
        return "{\"id\":" + id + ",\"product\":" + Main.quote(product) + ",\"user\":{\"id\":" + user.getId()
            + ",\"name\":" + Main.quote(user.getName()) + ",\"email\":" + Main.quote(user.getEmail()) + "}}";
    }
}
