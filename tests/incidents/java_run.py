# ruff: noqa: E501  (verbatim log lines and stack frames are longer than a code line)
"""Java (Spring Boot 3 on Tomcat) services on Cloud Run and one on GKE: incidents and quiet windows.

Wording sources:
- JDK messages and frames, printed by OpenJDK 17.0.15 here: helpful NPE text ('Cannot invoke "..." because
  "customer" is null'), `java.net.ConnectException: Connection refused` with its sun.nio.ch frames,
  `javax.net.ssl.SSLHandshakeException: PKIX path building failed: ... unable to find valid certification path
  to requested target`, `-Xlog:gc` lines and `Terminating due to java.lang.OutOfMemoryError: Java heap space`
  (-XX:+ExitOnOutOfMemoryError)
- HikariCP 6: "{pool} - Connection is not available, request timed out after {ms}ms (total=.., active=..,
  idle=.., waiting=..)", "{pool} - Starting...", "{pool} - Start completed."
  https://github.com/brettwooldridge/HikariCP/blob/dev/src/main/java/com/zaxxer/hikari/pool/HikariPool.java
  (createTimeoutException; the last connection failure becomes the cause)
- pgjdbc 42.7: "Connection to {0} refused. Check that the hostname and port are correct and that the postmaster
  is accepting TCP/IP connections." and ConnectionFactoryImpl/PgConnection/Driver frame lines:
  https://github.com/pgjdbc/pgjdbc/blob/master/pgjdbc/src/main/java/org/postgresql/core/v3/ConnectionFactoryImpl.java
- PostgreSQL: "remaining connection slots are reserved for non-replication superuser connections" and
  "sorry, too many clients already" (src/backend/utils/init/postinit.c, PostgreSQL 15)
- Spring: "Failed to obtain JDBC Connection" (CannotGetJdbcConnectionException), Tomcat's
  "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception [Request processing
  failed: ...] with root cause" and the Boot 3 console format, as in public logs quoted in the code index
  (e.g. a spring-data-commons 3.5 trace); Spring 6 handler-method frames as in public traces
- Hibernate 6: "HHH90000025: PostgreSQLDialect does not need to be specified explicitly using
  'hibernate.dialect' (remove the property setting and it will be selected by default)"
- Flyway: 'Migrating schema "public" to version "58 - backfill order totals"' (DbMigrate)
- An expired certificate: "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity
  check failed" (https://github.com/spring-attic/spring-authorization-server/issues/2073) and "Caused by:
  java.security.cert.CertificateExpiredException: NotAfter: ..." (https://github.com/opendiffy/diffy/issues/48);
  Spring's 'I/O error on POST request for "{url}": {message}' (RestTemplate.createResourceAccessException,
  https://github.com/spring-projects/spring-framework/blob/main/spring-web/src/main/java/org/springframework/web/client/RestTemplate.java)
- resilience4j: "CircuitBreaker '{name}' is OPEN and does not permit further calls"
  (https://github.com/resilience4j/resilience4j/blob/master/resilience4j-circuitbreaker/src/main/java/io/github/resilience4j/circuitbreaker/CallNotPermittedException.java)
"""

from __future__ import annotations

from typing import Any

from tests.incidents.builder import (
    MALFORMED,
    NO_INSTANCE,
    GkeIncident,
    Incident,
    day,
    oom_line,
    startup_probe_failed,
)
from tests.incidents.common import END, background, expect

RT = "java"
Result = tuple[list[dict[str, Any]], dict[str, Any]]
DISPATCH = "o.a.c.c.C.[.[.[/].[dispatcherServlet]    "
SPRING_FRAMES = """\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103) ~[na:na]
\tat java.base/java.lang.reflect.Method.invoke(Method.java:580) ~[na:na]
\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:258) ~[spring-web-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:191) ~[spring-web-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle(ServletInvocableHandlerMethod.java:118) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.invokeHandlerMethod(RequestMappingHandlerAdapter.java:991) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.handleInternal(RequestMappingHandlerAdapter.java:896) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.mvc.method.AbstractHandlerMethodAdapter.handle(AbstractHandlerMethodAdapter.java:87) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.DispatcherServlet.doService(DispatcherServlet.java:979) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.servlet.FrameworkServlet.doGet(FrameworkServlet.java:903) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:564) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885) ~[spring-webmvc-6.2.12.jar!/:6.2.12]
\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:140) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.apache.tomcat.websocket.server.WsFilter.doFilter(WsFilter.java:51) ~[tomcat-embed-websocket-10.1.48.jar!/:na]
\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:109) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.springframework.web.filter.RequestContextFilter.doFilterInternal(RequestContextFilter.java:100) ~[spring-web-6.2.12.jar!/:6.2.12]
\tat org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116) ~[spring-web-6.2.12.jar!/:6.2.12]
\tat org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:167) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.apache.catalina.core.StandardContextValve.invoke(StandardContextValve.java:90) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:346) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:396) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1769) ~[tomcat-embed-core-10.1.48.jar!/:na]
\tat java.base/java.lang.Thread.run(Thread.java:1583) ~[na:na]"""
POOL_FRAMES = """\tat com.zaxxer.hikari.util.DriverDataSource.getConnection(DriverDataSource.java:122) ~[HikariCP-6.3.0.jar!/:na]
\tat com.zaxxer.hikari.pool.PoolBase.newConnection(PoolBase.java:362) ~[HikariCP-6.3.0.jar!/:na]
\tat com.zaxxer.hikari.pool.PoolBase.newPoolEntry(PoolBase.java:203) ~[HikariCP-6.3.0.jar!/:na]
\tat com.zaxxer.hikari.pool.HikariPool.createPoolEntry(HikariPool.java:479) ~[HikariCP-6.3.0.jar!/:na]
\tat com.zaxxer.hikari.pool.HikariPool$PoolEntryCreator.call(HikariPool.java:744) ~[HikariCP-6.3.0.jar!/:na]
\tat com.zaxxer.hikari.pool.HikariPool$PoolEntryCreator.call(HikariPool.java:712) ~[HikariCP-6.3.0.jar!/:na]
\tat java.base/java.util.concurrent.FutureTask.run(FutureTask.java:317) ~[na:na]
\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144) ~[na:na]
\tat java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:642) ~[na:na]
\tat java.base/java.lang.Thread.run(Thread.java:1583) ~[na:na]"""
PG_CONNECT = """\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:837) ~[postgresql-42.7.8.jar!/:42.7.8]
\tat org.postgresql.core.v3.ConnectionFactoryImpl.tryConnect(ConnectionFactoryImpl.java:309) ~[postgresql-42.7.8.jar!/:42.7.8]
\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:367) ~[postgresql-42.7.8.jar!/:42.7.8]
\tat org.postgresql.core.ConnectionFactory.openConnection(ConnectionFactory.java:52) ~[postgresql-42.7.8.jar!/:42.7.8]
\tat org.postgresql.jdbc.PgConnection.<init>(PgConnection.java:295) ~[postgresql-42.7.8.jar!/:42.7.8]
\tat org.postgresql.Driver.makeConnection(Driver.java:437) ~[postgresql-42.7.8.jar!/:42.7.8]
\tat org.postgresql.Driver.connect(Driver.java:305) ~[postgresql-42.7.8.jar!/:42.7.8]
"""
HHH = ("WARN 1 --- [{app}] [           main] org.hibernate.orm.deprecation            : HHH90000025: "
       "PostgreSQLDialect does not need to be specified explicitly using 'hibernate.dialect' (remove the property "
       "setting and it will be selected by default)")
METHOD_NOT_SUPPORTED = ("WARN 1 --- [{app}] [nio-8080-exec-{n}] .w.s.m.s.DefaultHandlerExceptionResolver : Resolved "
                        "[org.springframework.web.HttpRequestMethodNotSupportedException: Request method 'POST' is not "
                        "supported]")


def _ts(inc: Incident, t: float) -> str:
    return inc.at(t).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _boot(inc: Incident, t: float, msg: str, rev: str, inst: str) -> None:
    """A Spring Boot 3 console line: time, level, pid, app, thread, logger, message."""
    inc.text(t, f"{_ts(inc, t)}  {msg.format(app=inc.service, n=inc.rng.randint(1, 10))}", rev, inst)


def _start(inc: Incident, t: float, rev: str, inst: str, app: str, complete: bool = True) -> None:
    _boot(inc, t, f"INFO 1 --- [{{app}}] [           main] com.acme.{app}                : Starting {app} v2.14.0 "
                  "using Java 21.0.8 with PID 1 (/app/app.jar started by cnb in /workspace)", rev, inst)
    _boot(inc, t + 2.1, "INFO 1 --- [{app}] [           main] com.zaxxer.hikari.HikariDataSource       : "
                        "HikariPool-1 - Starting...", rev, inst)
    _boot(inc, t + 2.6, "INFO 1 --- [{app}] [           main] com.zaxxer.hikari.HikariDataSource       : "
                        "HikariPool-1 - Start completed.", rev, inst)
    _boot(inc, t + 3.0, HHH, rev, inst)
    if complete:
        _boot(inc, t + 7.9, "INFO 1 --- [{app}] [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  : "
                            "Tomcat started on port 8080 (http) with context path '/'", rev, inst)
        _boot(inc, t + 8.0, f"INFO 1 --- [{{app}}] [           main] com.acme.{app}                : Started {app} in "
                            "8.214 seconds (process running for 9.06)", rev, inst)


def _service(name: str, app: str, seed: int, start: Any, n: int = 2) -> tuple[Incident, str, list[str]]:
    inc = Incident(name, seed, start)
    rev = inc.revision(11 + seed % 50)
    insts = [inc.instance() for _ in range(n)]
    for k, inst in enumerate(insts):
        _start(inc, 1.0 + k * 35, rev, inst, app)
    return inc, rev, insts


def _servlet_error(inc: Incident, t: float, rev: str, inst: str, summary: str, root: str) -> None:
    """Tomcat's 'with root cause' line, then the root cause's stack, one entry per line."""
    _boot(inc, t, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] " + DISPATCH + ": Servlet.service() for servlet "
                  f"[dispatcherServlet] in context with path [] threw exception [Request processing failed: {summary}] "
                  "with root cause", rev, inst)
    inc.block(t + 0.001, "\n" + root, rev, inst)


def _npe(app_frames: str, msg: str) -> str:
    return f"java.lang.NullPointerException: {msg}\n{app_frames}\n{SPRING_FRAMES}"


def _hikari_chain(root_line: str, pool: str = "HikariPool-1") -> str:
    return ("org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection\n"
            "\tat org.springframework.jdbc.datasource.DataSourceUtils.getConnection(DataSourceUtils.java:84) ~[spring-jdbc-6.2.12.jar!/:6.2.12]\n"
            "\tat org.springframework.jdbc.core.JdbcTemplate.execute(JdbcTemplate.java:653) ~[spring-jdbc-6.2.12.jar!/:6.2.12]\n"
            "\tat org.springframework.jdbc.core.JdbcTemplate.query(JdbcTemplate.java:723) ~[spring-jdbc-6.2.12.jar!/:6.2.12]\n"
            "\tat com.acme.inventory.StockRepository.findBySku(StockRepository.java:41) ~[!/:2.14.0]\n"
            "\tat com.acme.inventory.StockController.stock(StockController.java:29) ~[!/:2.14.0]\n"
            "\t... 48 common frames omitted\n"
            f"Caused by: java.sql.SQLTransientConnectionException: {pool} - Connection is not available, request timed out after "
            "30004ms (total=10, active=10, idle=0, waiting=23)\n"
            "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:705) ~[HikariCP-6.3.0.jar!/:na]\n"
            "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:187) ~[HikariCP-6.3.0.jar!/:na]\n"
            "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:145) ~[HikariCP-6.3.0.jar!/:na]\n"
            "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:99) ~[HikariCP-6.3.0.jar!/:na]\n"
            "\tat org.springframework.jdbc.datasource.DataSourceUtils.fetchConnection(DataSourceUtils.java:160) ~[spring-jdbc-6.2.12.jar!/:6.2.12]\n"
            "\tat org.springframework.jdbc.datasource.DataSourceUtils.doGetConnection(DataSourceUtils.java:118) ~[spring-jdbc-6.2.12.jar!/:6.2.12]\n"
            "\tat org.springframework.jdbc.datasource.DataSourceUtils.getConnection(DataSourceUtils.java:81) ~[spring-jdbc-6.2.12.jar!/:6.2.12]\n"
            "\t... 53 common frames omitted\n"
            f"Caused by: {root_line}\n" + PG_CONNECT + POOL_FRAMES)


def java_deploy_slow_init() -> Result:
    """A deploy adds a long Flyway backfill before Tomcat starts; the startup probe gives up first."""
    inc, old, insts = _service("orders-svc", "orders.OrdersApplication", 61, day(2025, 1, 8, 8))
    background(inc, old, insts)
    new = inc.revision(99)
    inc.deploy(3950, new, old, "europe-west1-docker.pkg.dev/acme-prod/shop/orders-svc:2.14.0", memory="1Gi")
    for k in range(3):
        inst = inc.instance()
        t = 3970 + k * 260
        _start(inc, t, new, inst, "orders.OrdersApplication", complete=False)
        _boot(inc, t + 4.2, 'INFO 1 --- [{app}] [           main] o.f.core.internal.command.DbMigrate      : Migrating '
                            'schema "public" to version "58 - backfill order totals"', new, inst)
        inc.system(t + 240, startup_probe_failed("orders-svc-1", 8080), new, inst)
    inc.ready_false(3970 + 760, new, (
        "The user-provided container failed to start and listen on the port defined provided by the PORT=8080 "
        "environment variable within the allocated timeout. This can happen when the container port is "
        "misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this "
        "revision might contain more information."))
    return inc.export(), expect(
        "startup-timeout", "deploy-trigger", RT, inc.service,
        "Version 2.14.0 runs a long Flyway backfill (V58) before Tomcat listens; the 240 s startup probe "
        "gives up first, though the port is right.", trigger_revision=new, state_not="ok")


def java_deploy_npe() -> Result:
    """A v2 deploy reads customer tiers from a map that lacks new customers: NullPointerException."""
    inc, old, insts = _service("pricing-svc", "pricing.PricingApplication", 62, day(2025, 1, 29, 12))
    background(inc, old, insts, end=4080)
    new = inc.revision(40)
    inc.deploy(4000, new, old, "europe-west1-docker.pkg.dev/acme-prod/shop/pricing-svc:5.0.0", api="v2",
               principal="terraform@acme-prod.iam.gserviceaccount.com", memory="1Gi")
    fresh = [inc.instance(), inc.instance()]
    for k, i in enumerate(fresh):
        _start(inc, 4015 + k * 10, new, i, "pricing.PricingApplication")
    background(inc, new, fresh, start=4035, cloudsql=False)
    root = _npe("\tat com.acme.pricing.PricingService.discountFor(PricingService.java:48) ~[!/:5.0.0]\n"
                "\tat com.acme.pricing.PriceController.quote(PriceController.java:31) ~[!/:5.0.0]",
                'Cannot invoke "com.acme.pricing.Customer.getTier()" because "customer" is null')
    for k, t in enumerate(range(4050, int(END), 34)):
        inst = fresh[k % 2]
        inc.request(t, 500, f"/api/price?customer=c-{1000 + k}", new, inst, latency=0.02)
        _servlet_error(inc, t + 0.015, new, inst, 'java.lang.NullPointerException: Cannot invoke "com.acme.pricing.'
                       'Customer.getTier()" because "customer" is null', root)
    return inc.export(), expect(
        "application-exception", "deploy-trigger", RT, inc.service,
        "Revision 40 calls customer.getTier() on customers missing from its map; a NullPointerException in "
        "com.acme.pricing fails those requests from the deploy on.", trigger_revision=new,
        mentions="NullPointerException")


def java_symptom_chain_oom() -> Result:
    """Export requests push instances over 2 GiB; Cloud Run kills them and in-flight requests get 503."""
    inc, rev, insts = _service("export-svc", "exports.ExportApplication", 63, day(2025, 2, 13, 16), n=3)
    background(inc, rev, insts)
    for _k, t in enumerate(range(3760, int(END), 270)):
        inst = inc.instance()
        _start(inc, t - 200, rev, inst, "exports.ExportApplication")
        inc.system(t, oom_line(2048, 2048 + inc.rng.randint(5, 80)), rev, inst)
        inc.system(t + 0.3, "Container terminated on signal 9.", rev, inst, "WARNING")
        for _j in range(inc.rng.randint(1, 3)):
            inc.request(t - inc.rng.uniform(1, 9), 503, "/api/exports/orders.csv", rev, inst,
                        latency=round(inc.rng.uniform(1, 9), 3), text=MALFORMED)
    return inc.export(), expect(
        "memory-limit-exceeded", "symptom-chain", RT, inc.service,
        "Instances exceed their 2048 MiB limit during CSV exports and are killed (signal 9); the requests "
        "they held end in 503.")


def java_symptom_alone_no_instance() -> Result:
    """Only request logs: 500 'no available instance' during a burst the service could not scale for."""
    inc, rev, insts = _service("ingest-svc", "ingest.IngestApplication", 64, day(2025, 3, 6, 9), n=3)
    background(inc, rev, insts, every=3)
    for t in range(3900, 3900 + 1500, 4):
        inc.request(t + inc.rng.uniform(0, 2), 500, "/v1/ingest", rev, None, method="POST", latency=10.2,
                    text=NO_INSTANCE)
    return inc.export(), expect(
        "quota-or-rate-limit", "symptom-alone", RT, inc.service,
        "Requests answered 500 'no available instance' (severity ERROR): per the troubleshooting docs the "
        "service could not scale out fast enough for the burst.")


def java_inner_hikari_slots() -> Result:
    """Hikari times out; its cause is PostgreSQL refusing new connections: slots reserved for superusers."""
    inc, rev, insts = _service("inventory-svc", "inventory.InventoryApplication", 65, day(2025, 3, 20, 14))
    background(inc, rev, insts)
    root = ("org.postgresql.util.PSQLException: FATAL: remaining connection slots are reserved for "
            "non-replication superuser connections")
    for k, t in enumerate(range(3700, int(END), 36)):
        inst = insts[k % 2]
        inc.request(t, 500, f"/api/stock/{k}", rev, inst, latency=30.01)
        _boot(inc, t + 30, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] c.a.inventory.StockController           : "
                           f"stock lookup failed for sku {k}", rev, inst)
        inc.block(t + 30.001, _hikari_chain(root), rev, inst)
        if k % 4 == 0:
            inc.cloudsql(t + 12, "db=inventory,user=inventory FATAL:  remaining connection slots are reserved for "
                                 "non-replication superuser connections", "ERROR", instance="inventory-db")
    return inc.export(), expect(
        "database-unavailable", "inner-cause", RT, inc.service,
        "The pool times out because PostgreSQL itself has no connection slots left (its own FATAL lines "
        "agree); the Hikari timeout only wraps that.", mentions="remaining connection slots")


def java_inner_refused() -> Result:
    """CannotGetJdbcConnectionException wraps pgjdbc's 'Connection to 10.70.0.5:5432 refused'."""
    inc, rev, insts = _service("catalog-jvm", "catalog.CatalogApplication", 66, day(2025, 4, 3, 10))
    background(inc, rev, insts)
    root = ("org.postgresql.util.PSQLException: Connection to 10.70.0.5:5432 refused. Check that the hostname and "
            "port are correct and that the postmaster is accepting TCP/IP connections.")
    chain = _hikari_chain(root).replace("ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:837)",
                                        "ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:428)")
    chain += ("\nCaused by: java.net.ConnectException: Connection refused\n"
              "\tat java.base/sun.nio.ch.Net.connect0(Native Method) ~[na:na]\n"
              "\tat java.base/sun.nio.ch.Net.connect(Net.java:579) ~[na:na]\n"
              "\tat java.base/sun.nio.ch.Net.connect(Net.java:568) ~[na:na]\n"
              "\tat java.base/sun.nio.ch.NioSocketImpl.connect(NioSocketImpl.java:593) ~[na:na]\n"
              "\tat java.base/java.net.SocksSocketImpl.connect(SocksSocketImpl.java:327) ~[na:na]\n"
              "\tat java.base/java.net.Socket.connect(Socket.java:633) ~[na:na]\n"
              "\t... 15 common frames omitted")
    for k, t in enumerate(range(3650, int(END), 30)):
        inst = insts[k % 2]
        inc.request(t, 500, f"/api/products/{k}", rev, inst, latency=30.0)
        _boot(inc, t + 30, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] c.a.catalog.ProductController           : "
                           "product query failed", rev, inst)
        inc.block(t + 30.001, chain, rev, inst)
    return inc.export(), expect(
        "network-connectivity", "inner-cause", RT, inc.service,
        "Behind Spring's 'Failed to obtain JDBC Connection' and Hikari's timeout, pgjdbc is refused at "
        "10.70.0.5:5432 while Cloud SQL logs normal activity: the network path is at fault.", mentions="refused")


def java_change_tls() -> Result:
    """Broken-pipe client aborts were always there; the acquirer's certificate chain stops validating."""
    inc, rev, insts = _service("payments-svc", "payments.PaymentsApplication", 67, day(2025, 4, 24, 6))
    background(inc, rev, insts)
    for k, t in enumerate(range(25, int(END), 50)):
        _boot(inc, t, "WARN 1 --- [{app}] [nio-8080-exec-{n}] .m.m.a.ExceptionHandlerExceptionResolver : Resolved "
                      "[org.apache.catalina.connector.ClientAbortException: java.io.IOException: Broken pipe]",
              rev, insts[k % 2])
        inc.request(t - 0.5, 500, "/api/statements/export", rev, insts[k % 2], latency=0.5)
    pkix = ("javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath."
            "SunCertPathBuilderException: unable to find valid certification path to requested target")
    for k, t in enumerate(range(3600 + 1020, int(END), 110)):
        inst = insts[k % 2]
        inc.request(t, 502, "/api/payments", rev, inst, method="POST", latency=0.3)
        _boot(inc, t + 0.3, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] c.a.payments.AcquirerClient             : "
                            "authorisation call to acquirer failed", rev, inst)
        inc.block(t + 0.301, pkix + "\n\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:130) ~[na:na]\n"
                  "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:383) ~[na:na]\n"
                  "\tat java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts(CertificateMessage.java:1351) ~[na:na]\n"
                  "\tat com.acme.payments.AcquirerClient.authorise(AcquirerClient.java:77) ~[!/:2.14.0]\n"
                  "Caused by: sun.security.validator.ValidatorException: PKIX path building failed: sun.security."
                  "provider.certpath.SunCertPathBuilderException: unable to find valid certification path to "
                  "requested target\n\tat java.base/sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:439) ~[na:na]",
                  rev, inst)
    return inc.export(), expect(
        "tls-certificate", "change-over-volume", RT, inc.service,
        "From 17 minutes in, the acquirer presents a chain the JVM cannot validate (PKIX) and payments fail; "
        "the larger volume of broken-pipe 500s ran at the same rate in the hour before.",
        mentions="certification path")


def java_tls_expired_breaker() -> Result:
    """The carrier's certificate expires; a few calls fail validation, then the circuit breaker opens
    and its refusals (many more lines, and the 503s) follow: the breaker is the symptom."""
    inc, rev, insts = _service("shipping-rates", "shipping.ShippingApplication", 71, day(2025, 3, 11, 12))
    background(inc, rev, insts)
    expired = ("org.springframework.web.client.ResourceAccessException: I/O error on POST request for "
               "\"https://api.carrier.example/v2/rates\": PKIX path validation failed: java.security.cert."
               "CertPathValidatorException: validity check failed\n"
               "\tat org.springframework.web.client.RestTemplate.createResourceAccessException(RestTemplate.java:926) ~[spring-web-6.2.12.jar!/:6.2.12]\n"
               "\tat com.acme.shipping.CarrierClient.rates(CarrierClient.java:58) ~[!/:3.1.0]\n"
               "Caused by: javax.net.ssl.SSLHandshakeException: PKIX path validation failed: java.security.cert."
               "CertPathValidatorException: validity check failed\n"
               "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:130) ~[na:na]\n"
               "Caused by: java.security.cert.CertificateExpiredException: NotAfter: Tue Mar 11 12:42:00 GMT 2025\n"
               "\tat java.base/sun.security.x509.CertificateValidity.valid(CertificateValidity.java:182) ~[na:na]")
    refused = ("io.github.resilience4j.circuitbreaker.CallNotPermittedException: CircuitBreaker 'carrier' is OPEN and "
               "does not permit further calls\n"
               "\tat io.github.resilience4j.circuitbreaker.CallNotPermittedException.createCallNotPermittedException(CallNotPermittedException.java:48) ~[resilience4j-circuitbreaker-2.2.0.jar!/:2.2.0]\n"
               "\tat com.acme.shipping.RateService.rates(RateService.java:44) ~[!/:3.1.0]")
    for k, t in enumerate(range(3600 + 2520, 3600 + 2580, 6)):
        inst = insts[k % 2]
        inc.request(t, 503, "/api/rates", rev, inst, method="POST", latency=0.4)
        _boot(inc, t + 0.3, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] c.a.shipping.CarrierClient               : "
                            "carrier rates call failed", rev, inst)
        inc.block(t + 0.301, expired, rev, inst)
    for k, t in enumerate(range(3600 + 2584, int(END), 3)):
        inst = insts[k % 2]
        inc.request(t, 503, "/api/rates", rev, inst, method="POST", latency=0.01)
        inc.block(t + 0.005, refused, rev, inst)
    return inc.export(), expect(
        "tls-certificate", "inner-cause", RT, inc.service,
        "The carrier's certificate expired at 12:42; the calls that failed validation opened the circuit "
        "breaker, whose refusals are most of the errors but only the symptom.", mentions="expired")


def java_precursor_gc() -> Result:
    """Heap climbs for 40 minutes (G1 pauses lengthen, Full GCs, latency) until the JVM exits on OOM."""
    inc, rev, insts = _service("analytics-svc", "analytics.AnalyticsApplication", 68, day(2025, 5, 15, 13), n=1)
    inst = insts[0]
    inc.healthy_cloudsql()
    leak_from, die_at = 3600 + 360, 3600 + 360 + 2520
    t = 2.0
    while t < END:
        g = max(0.0, min(1.0, (t - leak_from) / (die_at - leak_from))) if t < die_at else 0.0
        inc.request(t, 200, "/api/dashboards/7", rev, inst, latency=0.05 + 5 * g ** 2 + inc.rng.uniform(0, 0.02))
        t += inc.rng.uniform(3, 7)
    for n in range(1, int(END) // 30):
        at = n * 30.0
        g = max(0.0, min(1.0, (at - leak_from) / (die_at - leak_from))) if at < die_at else 0.02
        used = int(180 + 560 * g)
        line = (f"[{at:.3f}s][info][gc] GC({n}) Pause Full (G1 Compaction Pause) {used}M->{used - 5}M(768M) {200 + 900 * g:.3f}ms"
                if g > 0.8 and n % 2 else
                f"[{at:.3f}s][info][gc] GC({n}) Pause Young (Normal) (G1 Evacuation Pause) {used + 40}M->{used}M(768M) "
                f"{3 + 120 * g:.3f}ms")
        inc.text(at, line, rev, inst)
    inc.text(die_at, "Terminating due to java.lang.OutOfMemoryError: Java heap space", rev, inst, "stderr")
    inc.system(die_at + 0.1, "Container called exit(3).", rev, inst, "WARNING")
    for j in range(5):
        inc.request(die_at - 15 + j * 3, 503, "/api/dashboards/7", rev, inst, latency=15 - j * 3, text=MALFORMED)
    return inc.export(), expect(
        "memory-limit-exceeded", "precursors", RT, inc.service,
        "The heap fills over 42 minutes (longer G1 pauses, then back-to-back Full GCs, slower dashboards) until "
        "the JVM exits on 'OutOfMemoryError: Java heap space'.")


def java_unexplained() -> Result:
    """The warehouse system rejects allocations with a code of its own; nothing known explains it."""
    inc, rev, insts = _service("picking-svc", "picking.PickingApplication", 69, day(2025, 6, 5, 5))
    background(inc, rev, insts)
    for k, t in enumerate(range(3900, int(END), 49)):
        inst = insts[k % 2]
        inc.request(t, 500, "/api/allocations", rev, inst, method="POST", latency=0.4)
        _boot(inc, t + 0.4, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] c.a.picking.AllocationService           : "
                            f"Allocation rejected by WMS: code=ZC-17 zone capacity exceeded for C-12 (plan {7731 + k})",
              rev, inst)
    return inc.export(), expect(
        "unknown", "unexplained", RT, inc.service,
        "The warehouse system rejects allocations with its own code ZC-17; no pattern can explain it, and "
        "the window is failing.", state_not="ok")


def java_wrong_deploy() -> Result:
    """Two deploys; the second needs PAYMENTS_API_URL, which nobody set, and the context fails to start."""
    inc, r1, insts = _service("notifications-svc", "notify.NotificationsApplication", 70, day(2025, 6, 30, 9))
    background(inc, r1, insts, end=1100)
    r2 = inc.revision(24)
    inc.deploy(1050, r2, r1, "europe-west1-docker.pkg.dev/acme-prod/core/notifications-svc:4.1.0")
    i2 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i2):
        _start(inc, 1065 + k * 8, r2, i, "notify.NotificationsApplication")
    background(inc, r2, i2, start=1080, cloudsql=False)
    r3 = inc.revision(25)
    inc.deploy(4300, r3, r2, "europe-west1-docker.pkg.dev/acme-prod/core/notifications-svc:4.2.0")
    for k in range(4):
        inst = inc.instance()
        t = 4320 + k * 300
        _start(inc, t, r3, inst, "notify.NotificationsApplication", complete=False)
        _boot(inc, t + 5, "ERROR 1 --- [{app}] [           main] o.s.boot.SpringApplication               : "
                          "Application run failed", r3, inst)
        inc.block(t + 5.001, "org.springframework.beans.factory.BeanCreationException: Error creating bean with name "
                  "'paymentsClient': Injection of autowired dependencies failed\n"
                  "\tat org.springframework.beans.factory.annotation.AutowiredAnnotationBeanPostProcessor.postProcessProperties(AutowiredAnnotationBeanPostProcessor.java:515) ~[spring-beans-6.2.12.jar!/:6.2.12]\n"
                  "\tat com.acme.notify.NotificationsApplication.main(NotificationsApplication.java:12) ~[!/:4.2.0]\n"
                  "Caused by: java.lang.IllegalArgumentException: Could not resolve placeholder 'PAYMENTS_API_URL' in "
                  'value "${PAYMENTS_API_URL}"\n'
                  "\tat org.springframework.util.PropertyPlaceholderHelper.parseStringValue(PropertyPlaceholderHelper.java:180) ~[spring-core-6.2.12.jar!/:6.2.12]\n"
                  "\t... 35 common frames omitted", r3, inst)
        inc.system(t + 6, "Container called exit(1).", r3, inst, "WARNING")
    return inc.export(), expect(
        "missing-configuration", "wrong-deploy", RT, inc.service,
        "The second deploy (4.2.0) needs PAYMENTS_API_URL, which the service does not set; its context fails "
        "to start. The first deploy (4.1.0) serves fine.", trigger_revision=r3, mentions="PAYMENTS_API_URL",
        state_not="ok")


def java_app_exception_npe() -> Result:
    """A NullPointerException raised in com.acme code under Spring and Tomcat frames, no deploy."""
    inc, rev, insts = _service("quotes-svc", "quotes.QuotesApplication", 71, day(2025, 7, 10, 11))
    background(inc, rev, insts)
    root = _npe("\tat com.acme.quotes.QuoteService.discountFor(QuoteService.java:11) ~[!/:2.14.0]\n"
                "\tat com.acme.quotes.QuoteController.quote(QuoteController.java:24) ~[!/:2.14.0]",
                'Cannot invoke "com.acme.quotes.Customer.getTier()" because "customer" is null')
    for k, t in enumerate(range(4150, int(END), 41)):
        inst = insts[k % 2]
        inc.request(t, 500, f"/api/quotes?customer=c-{k}", rev, inst, latency=0.01)
        _servlet_error(inc, t + 0.008, rev, inst, 'java.lang.NullPointerException: Cannot invoke "com.acme.quotes.'
                       'Customer.getTier()" because "customer" is null', root)
    return inc.export(), expect(
        "application-exception", "app-exception", RT, inc.service,
        "QuoteService.discountFor in com.acme dereferences a customer missing from its map: an unhandled "
        "NullPointerException in the service's own code under Spring's frames.", mentions="NullPointerException")


def java_gke_hikari_clients() -> Result:
    """GKE: a scale-up exhausts PostgreSQL's max_connections; Hikari times out with 'too many clients'."""
    inc = GkeIncident("reservations", 72, day(2025, 7, 24, 19))
    pods = [inc.pod("58f7c9d4b6") for _ in range(3)]
    for p in pods:
        _start(inc, 2.0, "", p, "reservations.ReservationsApplication")
    background(inc, "", pods)
    root = "org.postgresql.util.PSQLException: FATAL: sorry, too many clients already"
    for k, t in enumerate(range(3720, int(END), 33)):
        pod = pods[k % 3]
        inc.request(t, 500, "/api/reservations", "", None, method="POST", latency=30.0)
        _boot(inc, t + 30, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] c.a.reservations.BookingController      : "
                           "booking failed", "", pod)
        inc.block(t + 30.001, _hikari_chain(root), "", pod, "stdout")
        if k % 5 == 0:
            inc.cloudsql(t + 10, "db=reservations,user=reservations FATAL:  sorry, too many clients already", "ERROR",
                         instance="reservations-db")
    return inc.export(), expect(
        "database-unavailable", "inner-cause", RT, inc.service,
        "PostgreSQL refuses new connections ('sorry, too many clients already', also in its own log); Hikari's "
        "timeout and Spring's exception only wrap it.", platform="gke", mentions="too many clients")


def java_gke_liveness_slow_start() -> Result:
    """GKE: a rollout's new start-up (a cache warm-up) outlasts the liveness probe; the kubelet kills
    each new pod while it is still starting, so it never serves and crash-loops, and the load
    balancer answers part of the requests with 502 from the shrunken capacity."""
    inc = GkeIncident("ledger-api", 76, day(2025, 6, 3, 10))
    old = [inc.pod("59d8f7b6c4") for _ in range(2)]
    for p in old:
        _start(inc, 2.0, "", p, "ledger.LedgerApplication")
    background(inc, "", old, cloudsql=False)
    inc.rollout(3690, "us-east1-docker.pkg.dev/acme-prod/ledger/ledger-api:2.15.0")
    new = [inc.pod("6f5b9c7d48") for _ in range(2)]
    for k, t in enumerate(range(3700, int(END) - 90, 75)):
        pod = new[k % 2]
        _start(inc, t, "", pod, "ledger.LedgerApplication", complete=False)
        _boot(inc, t + 20, "INFO 1 --- [{app}] [           main] c.a.ledger.cache.RateCacheWarmer         : "
                           "Warming rate cache: 412000 of 2100000 entries", "", pod)
        for j in range(3):  # the kubelet probes the pod's port while nothing listens on it yet
            inc.event(t + 35 + j * 10, pod, "Unhealthy", 'Liveness probe failed: Get "http://10.40.0.41:8080/actuator/'
                      'health/liveness": dial tcp 10.40.0.41:8080: connect: connection refused')
        inc.event(t + 56, pod, "Killing", "Container ledger-api failed liveness probe, will be restarted", kind="Normal")
        inc.event(t + 60, pod, "BackOff", f"Back-off restarting failed container ledger-api in pod {pod}_{inc.namespace}"
                                          f"({inc._hex(8)}-{inc._hex(4)}-{inc._hex(4)}-{inc._hex(4)}-{inc._hex(12)})")
        inc.request(t + 40, 502, "/v1/transfers", "", None, method="POST", latency=15.0, text="backend_timeout")
    return inc.export(), expect(
        "startup-timeout", "deploy-trigger", RT, inc.service,
        "ReplicaSet 6f5b9c7d48's Spring start-up is still warming its cache when the liveness probe, finding "
        "nothing on the port, has the kubelet kill it; it never finishes starting.",
        platform="gke", trigger_revision="ledger-api-6f5b9c7d48")


def java_deploy_slow_leak() -> Result:
    """A deploy leaks a pooled connection on one code path: Hikari's leak detection warns within
    minutes of the new revision serving, the pool runs dry a quarter of an hour later and requests
    time out waiting for a connection. The deploy started it, though the 500s came late."""
    inc, old, insts = _service("ledger-svc", "ledger.LedgerApplication", 77, day(2025, 9, 2, 9))
    background(inc, old, insts, end=3980)
    new = inc.revision(43)
    inc.deploy(3950, new, old, "europe-west1-docker.pkg.dev/acme-prod/core/ledger-svc:3.2.0", memory="1Gi")
    fresh = [inc.instance(), inc.instance()]
    for k, i in enumerate(fresh):
        _start(inc, 3960 + k * 10, new, i, "ledger.LedgerApplication")
    background(inc, new, fresh, start=3980, end=5000, cloudsql=False)
    for k, t in enumerate(range(4090, int(END), 70)):  # the leak, from two minutes in
        _boot(inc, t, "WARN 1 --- [{app}] [l-1 housekeeper] com.zaxxer.hikari.pool.ProxyLeakTask       : "
                      f"Connection leak detection triggered for org.postgresql.jdbc.PgConnection@{inc._hex(8)} on "
                      f"thread http-nio-8080-exec-{k % 10 + 1}, stack trace follows", new, fresh[k % 2])
    for k, t in enumerate(range(5000, int(END), 30)):  # the pool is dry
        inst = fresh[k % 2]
        inc.request(t, 500, f"/api/ledger/{k}", new, inst, latency=30.01)
        _boot(inc, t + 30, "ERROR 1 --- [{app}] [nio-8080-exec-{n}] c.a.ledger.LedgerController             : "
                           f"ledger lookup failed for account {k}", new, inst)
        inc.block(t + 30.001, _hikari_chain("java.net.SocketTimeoutException: Connect timed out").split(
            "\nCaused by: java.net")[0], new, inst)
    return inc.export(), expect(
        "db-connection-pool-exhausted", "deploy-trigger", RT, inc.service,
        "Revision 43 leaks a pooled connection per call on one path: Hikari's leak detection warns two minutes "
        "after it starts serving, and a quarter of an hour later the pool is dry and requests time out.",
        trigger_revision=new)


def q_java_healthy() -> Result:
    """Two healthy hours of a Spring Boot service."""
    inc, rev, insts = _service("stock-svc", "stock.StockApplication", 73, day(2025, 8, 7, 9))
    background(inc, rev, insts, every=4)
    return inc.export(), expect(None, "quiet", RT, inc.service, "Healthy traffic only.")


def q_java_warnings() -> Result:
    """Hibernate deprecation and 'method not supported' warnings at the same rate in both hours, with 404s."""
    inc, rev, insts = _service("tickets-svc", "tickets.TicketsApplication", 74, day(2025, 8, 18, 14))
    background(inc, rev, insts, not_found=0.06)
    t, k = 90.0, 0
    while t < END:
        _boot(inc, t, METHOD_NOT_SUPPORTED, rev, insts[k % 2])
        inc.request(t - 0.01, 405, "/api/tickets/export", rev, insts[k % 2], method="POST", latency=0.003)
        t += 300
        k += 1
    return inc.export(), expect(None, "quiet", RT, inc.service, "The same warnings and 405/404s as before.")


def q_java_deploy_clean() -> Result:
    """A deploy whose Spring context starts in 8 s and serves cleanly."""
    inc, r1, insts = _service("loyalty-svc", "loyalty.LoyaltyApplication", 75, day(2025, 8, 28, 10))
    background(inc, r1, insts, end=4200)
    r2 = inc.revision(58)
    inc.deploy(4120, r2, r1, "europe-west1-docker.pkg.dev/acme-prod/shop/loyalty-svc:1.9.0")
    i2 = [inc.instance(), inc.instance()]
    for k, i in enumerate(i2):
        _start(inc, 4135 + k * 6, r2, i, "loyalty.LoyaltyApplication")
    background(inc, r2, i2, start=4150, cloudsql=False)
    return inc.export(), expect(None, "quiet", RT, inc.service, "A clean deploy; no errors.")


CASES = {f.__name__: f for f in (
    java_deploy_slow_init, java_deploy_npe, java_symptom_chain_oom, java_symptom_alone_no_instance,
    java_inner_hikari_slots, java_inner_refused, java_change_tls, java_tls_expired_breaker, java_precursor_gc, java_unexplained,
    java_wrong_deploy, java_app_exception_npe, java_gke_hikari_clients, java_gke_liveness_slow_start, java_deploy_slow_leak, q_java_healthy, q_java_warnings,
    q_java_deploy_clean,
)}
