
// Serves GET /api/posts: every post with the number of its visible comments,
// as JSON, newest first, with plain JDBC (PostgreSQL's pgjdbc driver) and the
// JDK's own HTTP server.
//
// It is the fixed version of the starter. Instead of one count per post (N+1
// queries), it fetches the posts, then counts the comments of all of them in
// one query grouped by post, passing the post ids as one array parameter
// (WHERE post_id = ANY(?), a java.sql.Array from Connection.createArrayOf):
// two queries per request however many posts there are. A post the counts
// leave out has no visible comment: 0.

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
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

public class Main {
    // One connection, kept between requests: a connect per request would
    // cost several round trips every time. The server handles one request at
    // a time, so they take turns on it.
    static Connection conn;

    // author is null (JSON null) for a guest post.
    record Post(int id, String title, String author, LocalDate publishedOn) {
        String json(long commentCount) {
            return "{\"id\":" + id + ",\"title\":" + quote(title) + ",\"author\":" + quote(author)
                + ",\"published_on\":" + quote(publishedOn.toString()) + ",\"comment_count\":" + commentCount + "}";
        }
    }

    // posts are every post, newest first (among posts of the same day, the
    // higher id first); a date column reads as a LocalDate, which prints as
    // YYYY-MM-DD.
    static List<Post> posts() throws SQLException {
        List<Post> posts = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement(
                "SELECT id, title, author, published_on FROM posts ORDER BY published_on DESC, id DESC");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                posts.add(new Post(rs.getInt("id"), rs.getString("title"), rs.getString("author"), rs.getObject("published_on", LocalDate.class)));
            }
        }
        return posts;
    }

    static String listPosts() throws SQLException {
        List<Post> posts = posts();
        // one query for the counts of all the posts - the fix
        Map<Integer, Long> counts = new HashMap<>();
        try (PreparedStatement st = conn.prepareStatement(
                "SELECT post_id, count(*) FROM comments WHERE post_id = ANY(?) AND NOT hidden GROUP BY post_id")) {
            st.setArray(1, conn.createArrayOf("int4", posts.stream().map(Post::id).toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) counts.put(rs.getInt(1), rs.getLong(2));
            }
        }
        List<String> result = new ArrayList<>();
        for (Post post : posts) result.add(post.json(counts.getOrDefault(post.id(), 0L)));
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
        if (!ex.getRequestMethod().equals("GET") || !ex.getRequestURI().getPath().equals("/api/posts")) {
            status = 404;
            type = "text/plain";
            body = "not found\n";
        } else {
            try {
                if (conn == null || conn.isClosed()) conn = connect(System.getenv("DATABASE_URL"));
                body = listPosts();
            } catch (SQLException e) {
                System.err.println("list posts: " + e.getMessage());
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
