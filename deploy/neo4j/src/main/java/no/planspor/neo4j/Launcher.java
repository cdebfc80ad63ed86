package no.planspor.neo4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import inet.ipaddr.IPAddressString;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Starts Neo4j 5.26 embedded with the Bolt connector on loopback and authentication on,
 * and sets the password of user neo4j from the environment (there is no default: the
 * stack generates one per installation, see deploy/src/planspor_stack/settings.py).
 *
 * <p>The server is configured so that no query, even one past the knowledge service's
 * Cypher guard, can leave the graph: LOAD CSV may not read files (and the import
 * directory is an empty folder of its own), every IP address is blocked for URL loading
 * (http, https, ftp), only the procedures the platform calls are loaded, and every
 * transaction has a time and a memory limit. Failed logins never lock the account (a
 * local user could otherwise lock the services out with three wrong passwords); the
 * password is long and random, so guessing is not a way in.
 *
 * <p>Environment: NEO4J_HOME (data directory), NEO4J_BOLT_PORT, NEO4J_PASSWORD (required,
 * at least 32 characters), NEO4J_PAGECACHE (for example 512m), NEO4J_TRANSACTION_MEMORY
 * (per transaction, for example 256m), NEO4J_TRANSACTION_MEMORY_TOTAL (all transactions
 * together), NEO4J_TRANSACTION_TIMEOUT_SECONDS, NEO4J_MIN_REPLAN_INTERVAL_SECONDS (Neo4j's 10 by
 * default). The JVM heap is set by the caller (-Xmx).
 * Prints "planspor-neo4j ready" once the database answers; stops cleanly on SIGTERM.
 */
public final class Launcher {
    static final int MINIMUM_PASSWORD_LENGTH = 32;

    /** The procedures anything of planspor calls; every other procedure is not even loaded. */
    static final List<String> PROCEDURES = List.of(
            "db.labels", "db.relationshipTypes", "db.propertyKeys", // the analysts' schema questions
            "db.awaitIndexes", // the knowledge service's start-up
            "dbms.components"); // the version check of the stack's tests

    public static void main(String[] args) throws Exception {
        Path home = Path.of(env("NEO4J_HOME", "var/data/neo4j")).toAbsolutePath();
        int port = Integer.parseInt(env("NEO4J_BOLT_PORT", "7687"));
        String password = System.getenv("NEO4J_PASSWORD");
        if (password == null || password.length() < MINIMUM_PASSWORD_LENGTH) {
            System.err.println("planspor-neo4j: NEO4J_PASSWORD must be set to at least " + MINIMUM_PASSWORD_LENGTH
                    + " characters (the stack generates one in var/<profile>/secrets/neo4j-password)");
            System.exit(2);
        }
        long pageCache = ByteUnit.parse(env("NEO4J_PAGECACHE", "512m"));
        long transactionMemory = ByteUnit.parse(env("NEO4J_TRANSACTION_MEMORY", "256m"));
        long transactionMemoryTotal = ByteUnit.parse(env("NEO4J_TRANSACTION_MEMORY_TOTAL", "512m"));
        Duration transactionTimeout = Duration.ofSeconds(Long.parseLong(env("NEO4J_TRANSACTION_TIMEOUT_SECONDS", "300")));
        // how long a plan is kept before the statistics it was made on are compared with the graph's (Neo4j: 10 s)
        Duration minReplanInterval = Duration.ofSeconds(Long.parseLong(env("NEO4J_MIN_REPLAN_INTERVAL_SECONDS", "10")));
        Path importDirectory = emptyDirectory(home.resolve("import-disabled"));

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // no lockout: three wrong logins from anyone on the host would lock the services out
                .setConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0)
                .setConfig(GraphDatabaseSettings.auth_minimum_password_length, MINIMUM_PASSWORD_LENGTH)
                // LOAD CSV: no files, an empty import folder, no address on any network
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDirectory)
                .setConfig(GraphDatabaseInternalSettings.cypher_ip_blocklist,
                        List.of(new IPAddressString("0.0.0.0/0"), new IPAddressString("::/0")))
                .setConfig(GraphDatabaseSettings.procedure_allowlist, PROCEDURES)
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of())
                // the lexer the knowledge service's Cypher guard mirrors (Cypher5Lexer.g4)
                .setConfig(GraphDatabaseInternalSettings.cypher_parser_antlr_enabled, true)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(GraphDatabaseSettings.transaction_timeout, transactionTimeout)
                .setConfig(GraphDatabaseSettings.transaction_monitor_check_interval, Duration.ofMillis(200))
                .setConfig(GraphDatabaseSettings.cypher_min_replan_interval, minReplanInterval)
                .setConfig(GraphDatabaseSettings.memory_transaction_max_size, transactionMemory)
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, transactionMemoryTotal)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }));

        var system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        system.executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("planspor-neo4j ready on bolt://127.0.0.1:" + port);
        System.out.flush();
        stopped.await();
    }

    /** An empty folder only the server's user may enter: what LOAD CSV would see if file URLs were on. */
    private static Path emptyDirectory(Path path) throws IOException {
        Files.createDirectories(path);
        try (var entries = Files.list(path)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalStateException(path + " must stay empty: it is Neo4j's import folder, kept unreachable");
            }
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("r-x------"));
        return path;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
