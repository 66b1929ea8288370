"""Traceback texts, taken from real runs of the libraries named in their frames.

The netra traceback was produced by running uvicorn 0.30.6, starlette 0.38.6, SQLAlchemy
2.0.35 and asyncpg 0.30.0 on Python 3.11.7 against a TCP listener that accepts and never
answers, then re-pathed to the container layout (/usr/local/lib/python3.11, /app). The
QueuePool one is SQLAlchemy 2.0.35's own message. Line numbers are those of those versions.
"""

from __future__ import annotations

SITE = "/usr/local/lib/python3.11/site-packages"
STDLIB = "/usr/local/lib/python3.11"

_SQLA_CONNECT = f"""\
  File "{STDLIB}/contextlib.py", line 210, in __aenter__
    return await anext(self.gen)
           ^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/ext/asyncio/engine.py", line 1063, in begin
    async with conn:
  File "{SITE}/sqlalchemy/ext/asyncio/base.py", line 121, in __aenter__
    return await self.start(is_ctxmanager=True)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/ext/asyncio/engine.py", line 273, in start
    await greenlet_spawn(self.sync_engine.connect)
  File "{SITE}/sqlalchemy/util/_concurrency_py3k.py", line 201, in greenlet_spawn
    result = context.throw(*sys.exc_info())
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/base.py", line 3278, in connect
    return self._connection_cls(self)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/base.py", line 146, in __init__
    self._dbapi_connection = engine.raw_connection()
                             ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/base.py", line 3302, in raw_connection
    return self.pool.connect()
           ^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 449, in connect
    return _ConnectionFairy._checkout(self)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 1263, in _checkout
    fairy = _ConnectionRecord.checkout(pool)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 712, in checkout
    rec = pool._do_get()
          ^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/impl.py", line 179, in _do_get
    with util.safe_reraise():
  File "{SITE}/sqlalchemy/util/langhelpers.py", line 146, in __exit__
    raise exc_value.with_traceback(exc_tb)
  File "{SITE}/sqlalchemy/pool/impl.py", line 177, in _do_get
    return self._create_connection()
           ^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 390, in _create_connection
    return _ConnectionRecord(self)
           ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 674, in __init__
    self.__connect()
  File "{SITE}/sqlalchemy/pool/base.py", line 900, in __connect
    with util.safe_reraise():
  File "{SITE}/sqlalchemy/util/langhelpers.py", line 146, in __exit__
    raise exc_value.with_traceback(exc_tb)
  File "{SITE}/sqlalchemy/pool/base.py", line 896, in __connect
    self.dbapi_connection = connection = pool._invoke_creator(self)
                                         ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/create.py", line 643, in connect
    return dialect.connect(*cargs, **cparams)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/default.py", line 621, in connect
    return self.loaded_dbapi.connect(*cargs, **cparams)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/dialects/postgresql/asyncpg.py", line 953, in connect
    await_only(creator_fn(*arg, **kw)),
    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/util/_concurrency_py3k.py", line 132, in await_only
    return current.parent.switch(awaitable)  # type: ignore[no-any-return,attr-defined] # noqa: E501
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/util/_concurrency_py3k.py", line 196, in greenlet_spawn
    value = await result
            ^^^^^^^^^^^^
  File "{SITE}/asyncpg/connection.py", line 2421, in connect
    return await connect_utils._connect(
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/asyncpg/connect_utils.py", line 1049, in _connect
    conn = await _connect_addr(
           ^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/asyncpg/connect_utils.py", line 882, in _connect_addr
    return await __connect_addr(params, False, *args)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/asyncpg/connect_utils.py", line 934, in __connect_addr
    await connected
asyncio.exceptions.CancelledError"""

NETRA_DB_TIMEOUT_MESSAGE = (
    "Database initialization timeout after {timeout}s in staging environment. This may indicate Cloud SQL "
    "connection issues. Check POSTGRES_HOST configuration and Cloud SQL instance accessibility.")

NETRA_STARTUP_TRACEBACK = f"""\
ERROR:    Traceback (most recent call last):
  File "/app/netra_backend/app/smd.py", line 793, in _initialize_database
    self.app.state.db_engine = await initialize_postgres(self.config.database_url)
                               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/netra_backend/app/db/postgres_core.py", line 156, in initialize_postgres
    async with engine.begin() as conn:
{_SQLA_CONNECT}

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/netra_backend/app/smd.py", line 792, in _initialize_database
    async with asyncio.timeout(timeout):
  File "{STDLIB}/asyncio/timeouts.py", line 115, in __aexit__
    raise TimeoutError from exc_val
TimeoutError

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/netra_backend/app/smd.py", line 151, in initialize_system
    await self._phase3_database_setup()
  File "/app/netra_backend/app/smd.py", line 408, in _phase3_database_setup
    await self._initialize_database()
  File "/app/netra_backend/app/smd.py", line 801, in _initialize_database
    raise DeterministicStartupError(error_msg)
netra_backend.app.smd.DeterministicStartupError: {NETRA_DB_TIMEOUT_MESSAGE}

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "{SITE}/starlette/routing.py", line 693, in lifespan
    async with self.lifespan_context(app) as maybe_state:
  File "{STDLIB}/contextlib.py", line 210, in __aenter__
    return await anext(self.gen)
           ^^^^^^^^^^^^^^^^^^^^^
  File "/app/netra_backend/app/core/lifespan_manager.py", line 35, in lifespan
    await run_deterministic_startup(app)
  File "/app/netra_backend/app/startup_module.py", line 44, in run_deterministic_startup
    await orchestrator.initialize_system()
  File "/app/netra_backend/app/smd.py", line 153, in initialize_system
    await self._handle_startup_failure(e)
  File "/app/netra_backend/app/smd.py", line 156, in _handle_startup_failure
    raise DeterministicStartupError(f"CRITICAL STARTUP FAILURE: Phase 3 (database) failed: {{error}}") from error
netra_backend.app.smd.DeterministicStartupError: CRITICAL STARTUP FAILURE: Phase 3 (database) failed: \
{NETRA_DB_TIMEOUT_MESSAGE}"""


def netra_startup_traceback(timeout: float) -> str:
    """Return the uvicorn-logged lifespan traceback of a Phase 3 database timeout, blank lines dropped."""
    text = NETRA_STARTUP_TRACEBACK.replace("{timeout}", f"{timeout}")
    return "\n".join(line for line in text.split("\n") if line.strip())


def queuepool_traceback(handler_file: str, handler_line: int, handler_func: str, code: str) -> str:
    """Return SQLAlchemy's QueuePool exhaustion traceback raised from a sync request handler."""
    return f"""\
Traceback (most recent call last):
  File "{handler_file}", line {handler_line}, in {handler_func}
    {code}
  File "{SITE}/sqlalchemy/orm/session.py", line 2351, in execute
    return self._execute_internal(
           ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/orm/session.py", line 2226, in _execute_internal
    conn = self._connection_for_bind(bind)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/orm/session.py", line 2095, in _connection_for_bind
    return trans._connection_for_bind(engine, execution_options)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "<string>", line 2, in _connection_for_bind
  File "{SITE}/sqlalchemy/orm/state_changes.py", line 139, in _go
    ret_value = fn(self, *arg, **kw)
                ^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/orm/session.py", line 1189, in _connection_for_bind
    conn = bind.connect()
           ^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/base.py", line 3278, in connect
    return self._connection_cls(self)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/base.py", line 146, in __init__
    self._dbapi_connection = engine.raw_connection()
                             ^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/engine/base.py", line 3302, in raw_connection
    return self.pool.connect()
           ^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 449, in connect
    return _ConnectionFairy._checkout(self)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 1263, in _checkout
    fairy = _ConnectionRecord.checkout(pool)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/base.py", line 712, in checkout
    rec = pool._do_get()
          ^^^^^^^^^^^^^^
  File "{SITE}/sqlalchemy/pool/impl.py", line 168, in _do_get
    raise exc.TimeoutError(
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, \
timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)"""
