// Serves GET /api/posts: every post with the number of its visible comments,
// as JSON, newest first, through Hibernate (3.6, Debian's) and the JDK's own
// HTTP server.
//
// It is the fixed version of the starter. One query loads the posts and
// counts their visible comments, grouped by post: "left join p.comments c
// with c.hidden = false" puts the condition in the join (a LEFT JOIN, so
// the posts without visible comments stay), and count(c.id) counts only
// the comments that joined, 0 for those posts. Loading every comment only
// to count them would move them all: the database counts them. One query
// per request however many posts there are.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.FetchType;
import javax.persistence.Id;
import javax.persistence.JoinColumn;
import javax.persistence.ManyToOne;
import javax.persistence.OneToMany;
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

    static String listPosts(Session session) {
        List<String> result = new ArrayList<>();
        // the counts of all the posts in one grouped query - the fix
        Query query = session.createQuery("select p, count(c.id) from Post p left join p.comments c with c.hidden = false"
            + " group by p.id, p.title, p.author, p.publishedOn order by p.publishedOn desc, p.id desc");
        for (Object[] row : Main.<Object[]>list(query)) {
            result.add(((Post) row[0]).json((Long) row[1]));
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
        if (!ex.getRequestMethod().equals("GET") || !ex.getRequestURI().getPath().equals("/api/posts")) {
            status = 404;
            type = "text/plain";
            body = "not found\n";
        } else {
            // A session per request, in a transaction; it only reads.
            Session session = sessions.openSession();
            try {
                session.beginTransaction();
                body = listPosts(session);
                session.getTransaction().commit();
            } catch (RuntimeException e) {
                System.err.println("list posts: " + e);
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
            .addAnnotatedClass(Post.class).addAnnotatedClass(Comment.class).buildSessionFactory();
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
@Table(name = "posts")
class Post {
    @Id
    private int id;
    private String title;
    private String author; // null (JSON null) for a guest post
    @Column(name = "published_on")
    private Date publishedOn; // java.sql.Date: prints as YYYY-MM-DD
    // A lazy collection: post.getComments() loads the post's comments, with
    // a query of its own.
    @OneToMany(mappedBy = "post")
    private List<Comment> comments;

    public int getId() { return id; }
    public List<Comment> getComments() { return comments; }

    String json(long commentCount) {
        return "{\"id\":" + id + ",\"title\":" + Main.quote(title) + ",\"author\":" + Main.quote(author)
            + ",\"published_on\":" + Main.quote(publishedOn.toString()) + ",\"comment_count\":" + commentCount + "}";
    }
}

@Entity
@Table(name = "comments")
class Comment {
    @Id
    private int id;
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "post_id")
    private Post post;
    private String body;
    private boolean hidden; // hidden by a moderator: not counted

    public boolean isHidden() { return hidden; }
}
