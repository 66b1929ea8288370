-- LogEntry fields as read -> one normalised `entries` row. See docs/architecture.md.
-- {rel} is a relation with the columns rca/engine/store.py's readers select (`source`, `base`,
-- the typed LogEntry fields of `_FIELDS`, jsonPayload `jp` and protoPayload `pp` as JSON). The
-- rows are normalised as they are read, so `staged` is already the `entries` table's shape:
-- `entry_id`, `ordinal` and `in_window` are NULL until `Store.finalise` sets them, `line_no` is NULL where
-- the reader gave no `_line` (finalise numbers those by their ordinal in the source), and the
-- columns after `severity_num` (rca/engine/store.py's `_FINALISE_COLUMNS`)
-- serve finalise and are dropped by it. Only the payloads are parsed here, and only for the entries that have one.
WITH x AS (
  SELECT
    *,
    json_extract_string(jp, [
      '$.message', '$.msg', '$.event', '$.error', '$.textPayload', '$.exc_info', '$.exception',
      '$.stack_trace', '$.stack', '$.severity', '$.level', '$.lvl', '$.err', '$.error.message',
      '$.stacktrace', '$.statusDetails', '$.status', '$.debugInfo', '$.err.message',
      -- .NET's JSON console formatter writes LogLevel, Message and Exception
      '$.Message', '$.Exception', '$.LogLevel',
      -- pino's and bunyan's err serializer, and an `error` object: type, message and stack
      '$.err.stack', '$.error.stack',
      -- Elastic Common Schema (Spring Boot's `ecs` structured logging, ecs-logging-java): level,
      -- error message and stack, as dotted keys (Spring Boot 3.4) or nested objects
      '$."log.level"', '$.log.level', '$."error.message"', '$."error.stack_trace"', '$.error.stack_trace',
      -- an OAuth 2.0 error response (RFC 6749 5.2) logged as it came: error, then error_description
      '$.error_description',
      -- Rust's tracing-subscriber JSON format: the event's message and fields under `fields`
      '$.fields.message', '$.fields.error',
      -- an error's `cause` kept as a nested object (pino-std-serializers' errWithCause, an error
      -- object logged whole): fetch()'s "fetch failed" says why only in its cause
      '$.err.cause.stack', '$.err.cause.message', '$.error.cause.stack', '$.error.cause.message',
      -- log4j2's JsonLayout: the exception as an object (name, message, nested cause)
      '$.thrown',
      -- @google-cloud/logging-winston writes a line's metadata under `metadata` (LoggingCommon:
      -- message and metadata): an error the app logged with it is there
      '$.metadata.error.message', '$.metadata.error.stack',
      -- or the error's message and stack as strings of their own (`{{error: err.message, stack:
      -- err.stack}}`)
      '$.metadata.error', '$.metadata.stack',
      -- Monolog's JsonFormatter (Laravel, Symfony): an exception logged in the record's context is
      -- normalised to an object (class, message, code, file) under `context.exception`
      '$.context.exception.class', '$.context.exception.message',
      -- Elasticsearch's error object as a client hands it over and the app logs it whole
      -- (its `type`, cluster_block_exception, and `reason`, "index [x] blocked by: [...]": the
      -- REST API's error body, go-elasticsearch's and olivere/elastic's ErrorDetails): no message,
      -- its type and reason say what failed
      '$.error.type', '$.error.reason'
    ]) AS jv,
    json_extract_string(pp, [
      '$.methodName', '$.authenticationInfo.principalEmail', '$.status.message',
      -- an App Engine request log's RequestLog: its request, where the entry's httpRequest may
      -- hold the status alone
      '$.method', '$.resource', '$.latency'
    ]) AS pv,
    -- What an App Engine request log's app and platform logged while serving it (RequestLog line[])
    CASE WHEN pp IS NOT NULL THEN
      nullif(array_to_string(json_extract_string(pp, '$.line[*].logMessage'), chr(10)), '') END AS pp_lines,
    split_part(log_name, '/logs/', 2) AS log_tail
  FROM {rel}
), y AS (
  SELECT
    * REPLACE (
      coalesce(http_method, CASE WHEN resource_type = 'gae_app' THEN pv[4] END) AS http_method,
      coalesce(http_url, CASE WHEN resource_type = 'gae_app' THEN pv[5] END) AS http_url,
      coalesce(http_latency, CASE WHEN resource_type = 'gae_app' THEN pv[6] END) AS http_latency),
    -- The entry's own severity, unless it is the one the platform gives a line that named none
    -- and the payload says more (Go slog, zap, pino, logback and ECS put it in the payload:
    -- "severity", "level", "lvl", "log.level", pino's numbers): DEFAULT anywhere, and on GKE the
    -- INFO of stdout and the ERROR of stderr (its agent reads a "severity" key, no other).
    upper(coalesce(
      CASE WHEN severity IS NULL OR upper(severity) = 'DEFAULT'
                OR (resource_type = 'k8s_container' AND log_tail IN ('stdout', 'stderr')
                    AND upper(severity) IN ('INFO', 'ERROR'))
           THEN coalesce(jv[10], jv[11], jv[12], jv[22], jv[25], jv[26]) END,
      severity, 'DEFAULT')) AS sev_raw,
    -- (json_type parses the payload again: only where the key is there at all)
    CASE WHEN jv[4] IS NULL THEN NULL WHEN json_type(jp, '$.error') = 'VARCHAR' THEN jv[4] END AS error_text,
    CASE WHEN jv[13] IS NULL THEN NULL WHEN json_type(jp, '$.err') = 'VARCHAR' THEN jv[13] END AS err_text,
    CASE WHEN jv[40] IS NULL THEN NULL WHEN json_type(jp, '$.metadata.error') = 'VARCHAR' THEN jv[40] END
      AS metadata_error_text,
    coalesce(jv[14], jv[19], jv[27], jv[38],
             CASE WHEN jv[45] IS NOT NULL THEN concat_ws(': ', jv[44], jv[45]) END) AS error_object_message,
    -- (the thrown object parsed again, only where a line has one: its chain, outermost first; a
    -- `thrown` that is a string, a stack written whole, is taken as it is)
    CASE WHEN jv[37] IS NOT NULL THEN json_type(jp, '$.thrown') END AS thrown_type,
    CASE WHEN thrown_type = 'OBJECT' THEN json_extract_string(jv[37], [
      '$.name', '$.message', '$.cause.name', '$.cause.message', '$.cause.cause.name',
      '$.cause.cause.message', '$.cause.cause.cause.name', '$.cause.cause.cause.message']) END AS thrown,
    -- The first condition an operation's resource failed on, as its audit entry's response carries
    -- it, where the status message does not already say it (a Cloud Run job execution's status
    -- says only that it failed; its condition says "Task <name>-task0 failed with message: The
    -- configured timeout was reached.")
    CASE WHEN pp IS NOT NULL AND json_extract(pp, '$.response.status.conditions') IS NOT NULL THEN
      [json_extract_string(c, '$.message') FOR c IN json_extract(pp, '$.response.status.conditions[*]')
       IF json_extract_string(c, '$.status') = 'False' AND json_extract_string(c, '$.message') IS NOT NULL
          AND NOT contains(coalesce(pv[3], ''), json_extract_string(c, '$.message'))][1] END AS pp_failed,
  FROM x
), y1 AS (
  SELECT
    *,
    -- Whether the line is logged at ERROR or above, by name or by number (Cloud Logging's scale,
    -- 100..800, else pino's and bunyan's, 10..60, as `severity` below reads them)
    -- (only a JSON payload's keys are read by it, and a level named in words needs no cast)
    CASE WHEN jp IS NULL THEN false
         WHEN sev_raw IN ('ERROR', 'ERR', 'CRITICAL', 'FATAL', 'ALERT', 'EMERGENCY') THEN true
         WHEN sev_raw IN ('DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'WARN') THEN false
         WHEN try_cast(sev_raw AS INTEGER) >= 100 THEN try_cast(sev_raw AS INTEGER) >= 500
         ELSE coalesce(try_cast(sev_raw AS INTEGER) >= 50, false) END AS error_level,
    -- A lower level the text states at its start under an ERROR-or-above severity (GKE's stderr,
    -- Cloud SQL's MySQL notes, a logfmt line's level=): rca/severity.py TEXT_LEVEL_RE2 (the word is
    -- its group 1, 2, 3 or 4). Only those few rows run the regex,
    -- and only the ones it matches extract the word (a match runs RE2's DFA; an extraction does
    -- not, and cost 0.2 CPU-s over a busy hour's 33k long 503 lines).
    CASE WHEN text_payload IS NOT NULL
              AND sev_raw IN ('ERROR', 'ERR', 'CRITICAL', 'FATAL', 'ALERT', 'EMERGENCY')
              AND regexp_matches(text_payload, {text_level})
         THEN (CASE upper(coalesce(nullif(regexp_extract(text_payload, {text_level}, 1), ''),
                                   nullif(regexp_extract(text_payload, {text_level}, 2), ''),
                                   nullif(regexp_extract(text_payload, {text_level}, 3), ''),
                                   regexp_extract(text_payload, {text_level}, 4))) {text_level_case} END) END AS text_level
  FROM y
), y2 AS (
  SELECT
    *,
    coalesce(jv[1], jv[2], jv[3], error_text, err_text, error_object_message, jv[5], jv[20], jv[31]) AS primary_msg,
    -- log4j2's thrown chain as Java prints one: "Name: message", then "Caused by: Name: message"
    CASE WHEN thrown IS NOT NULL THEN nullif(concat_ws(chr(10),
      thrown[1] || coalesce(': ' || thrown[2], ''),
      'Caused by: ' || thrown[3] || coalesce(': ' || thrown[4], ''),
      'Caused by: ' || thrown[5] || coalesce(': ' || thrown[6], ''),
      'Caused by: ' || thrown[7] || coalesce(': ' || thrown[8], '')), '')
         WHEN thrown_type = 'VARCHAR' THEN jv[37] END AS thrown_text,
  FROM y1
), y3 AS (
  SELECT
    *,
    -- The message, then what loggers put beside it: the error of a zap/slog/logrus line, a stack
    -- (Java `stacktrace`/`stack_trace`, Node `stack` or pino's `err.stack`, Python `exc_info`), a
    -- load balancer's `statusDetails`, a Cloud Scheduler attempt's `status` and `debugInfo`.
    -- (no jsonPayload: every part below is NULL, and the message is NULL too)
    CASE WHEN text_payload IS NOT NULL THEN text_payload
         WHEN jp IS NULL THEN NULL
         ELSE concat_ws(chr(10),
                primary_msg,
                CASE WHEN error_text IS DISTINCT FROM primary_msg THEN error_text END,
                CASE WHEN err_text IS DISTINCT FROM primary_msg THEN err_text END,
                CASE WHEN metadata_error_text IS DISTINCT FROM primary_msg THEN metadata_error_text END,
                CASE WHEN error_object_message IS DISTINCT FROM primary_msg THEN error_object_message END,
                CASE WHEN jv[32] IS DISTINCT FROM primary_msg THEN jv[32] END,
                jv[30],
                coalesce(jv[6], jv[7], jv[8], jv[15], jv[9], jv[21], jv[23], jv[24], jv[28], jv[29], jv[39],
                         jv[41], thrown_text),
                'caused by: ' || coalesce(jv[33], jv[34], jv[35], jv[36]),
                CASE WHEN jv[43] IS DISTINCT FROM primary_msg THEN coalesce(jv[42] || ': ', '') || jv[43] END,
                jv[16],
                CASE WHEN jv[17] IS NULL THEN NULL WHEN json_type(jp, '$.status') = 'VARCHAR' THEN jv[17] END,
                jv[18],
                -- A server's start line whose address is a field of its own (slog's and zap's
                -- "msg": "http server listening", "addr": ":9090"): the address, as `key=value`
                -- for the patterns that tell the port probed from the port listened on. Read only
                -- where the message speaks of listening or serving.
                CASE WHEN regexp_matches(primary_msg, '(?i)\blisten|\bserving\b|\bserver started\b') THEN
                  nullif(concat_ws(' ',
                    'addr=' || json_extract_string(jp, '$.addr'),
                    'address=' || json_extract_string(jp, '$.address'),
                    'listen_addr=' || json_extract_string(jp, '$.listen_addr'),
                    'port=' || json_extract_string(jp, '$.port')), '') END,
                -- An error-level line's other top-level fields named for what failed, in the
                -- application's own words (`es_error`, `error_type`, `failure_reason`, `cause`, the
                -- `panic` a Go recoverer logs), and the answer it failed on (`body`, `response`,
                -- `detail`: a called API's error body, blind set VH03; a proxy's `response_code_detail`
                -- or `response_code_details`, Envoy's and ESPv2's why; a `code` that is no number,
                -- the SDK's name for the failure, "messaging/registration-token-not-registered"): the
                -- keys above are the loggers' conventions, these an application's choice.
                -- Only error-level lines pay for reading the keys, and only those whose payload
                -- has a key holding one of the words at all (the payload as yyjson writes it back:
                -- a key is written as it is, `"<key>":`, unless it holds a quote, a backslash or a
                -- control character; a key with a quote or a backslash is never taken anyway):
                -- json_keys and the list over them cost 0.25 CPU-s over a busy hour's 30k error
                -- lines whose keys are `message`, `logger` and `module`.
                CASE WHEN error_level AND regexp_matches(jp,
                       '(?i)"[^"]*(?:err|exception|fault|failure|reason|cause|panic|body|response|detail|code)[^"]*":') THEN
                  nullif(array_to_string(
                    [json_extract_string(jp, '$."' || k || '"') FOR k IN json_keys(jp)
                     IF regexp_matches(k, '(?i)err|exception|fault|failure|reason|cause|panic|^(?:response_?)?body$|^response$|(?:^|_)details?$|^code$')
                        AND NOT regexp_matches(k, '["\\]')
                        AND (lower(k) <> 'code'
                             OR NOT regexp_full_match(coalesce(json_extract_string(jp, '$."' || k || '"'), ''), '[0-9]*'))
                        AND k NOT IN ('error', 'err', 'exception', 'Exception', 'error.message',
                                      'error.stack_trace')], chr(10)), '') END)
    END AS text_msg,
    -- What a request log is known by: method, path, status and latency.
    CASE WHEN http_method IS NOT NULL OR http_status IS NOT NULL THEN
      concat_ws(' ', http_method, regexp_replace(coalesce(http_url, ''), '^[a-z]+://[^/]*', ''),
                http_status, http_latency) END AS request_line,
  FROM y2
), z AS (
  SELECT
    NULL::BIGINT AS entry_id,
    source,
    try_cast(line AS INTEGER) AS line_no,
    NULL::BIGINT AS ordinal,
    ts,
    CASE WHEN text_level IS NOT NULL THEN text_level
         WHEN sev_raw IN ('WARN') THEN 'WARNING'
         WHEN sev_raw IN ('ERR', 'FATAL') THEN (CASE sev_raw WHEN 'ERR' THEN 'ERROR' ELSE 'CRITICAL' END)
         WHEN sev_raw IN ('DEFAULT','DEBUG','INFO','NOTICE','WARNING','ERROR','CRITICAL','ALERT','EMERGENCY')
           THEN sev_raw
         -- numbers: Cloud Logging's scale (100..800), else pino's (10..60)
         WHEN try_cast(sev_raw AS INTEGER) >= 100 THEN (CASE
              WHEN try_cast(sev_raw AS INTEGER) >= 600 THEN 'CRITICAL'
              WHEN try_cast(sev_raw AS INTEGER) >= 500 THEN 'ERROR'
              WHEN try_cast(sev_raw AS INTEGER) >= 400 THEN 'WARNING'
              WHEN try_cast(sev_raw AS INTEGER) >= 200 THEN 'INFO' ELSE 'DEBUG' END)
         WHEN try_cast(sev_raw AS INTEGER) IS NOT NULL THEN (CASE
              WHEN try_cast(sev_raw AS INTEGER) >= 60 THEN 'CRITICAL'
              WHEN try_cast(sev_raw AS INTEGER) >= 50 THEN 'ERROR'
              WHEN try_cast(sev_raw AS INTEGER) >= 40 THEN 'WARNING'
              WHEN try_cast(sev_raw AS INTEGER) >= 30 THEN 'INFO' ELSE 'DEBUG' END)
         WHEN sev_raw IN ('WARNING', 'WARN') THEN 'WARNING'
         WHEN sev_raw IN ('ERROR', 'ERR') THEN 'ERROR'
         WHEN sev_raw IN ('TRACE', 'FINE', 'FINER', 'FINEST', 'VERBOSE') THEN 'DEBUG'
         WHEN sev_raw = 'INFORMATION' THEN 'INFO'  -- .NET's LogLevel
         WHEN sev_raw IN ('PANIC', 'SEVERE', 'DPANIC') THEN 'CRITICAL'
         ELSE 'DEFAULT' END AS severity,
    coalesce(
      -- An App Engine request log keeps its request line first, then the lines logged while
      -- serving it ("Exceeded soft memory limit ..." is one of them).
      CASE WHEN text_payload IS NULL AND jp IS NULL AND pp_lines IS NOT NULL THEN
        concat_ws(chr(10), request_line, pp_lines) END,
      -- A request log whose payload holds only details (a load balancer's statusDetails, a
      -- Scheduler attempt's status) keeps its request line first, then the details.
      CASE WHEN text_payload IS NULL AND primary_msg IS NULL AND nullif(text_msg, '') IS NOT NULL
                AND request_line IS NOT NULL THEN
        concat_ws(chr(10), request_line, text_msg) END,
      nullif(text_msg, ''),
      CASE WHEN pp IS NOT NULL THEN nullif(concat_ws(chr(10), coalesce(pv[3], pv[1]), pp_failed), '') END,
      request_line,
      CASE WHEN jp IS NOT NULL THEN jp::VARCHAR END,
      ''
    ) AS message,
    log_name,
    -- url_decode leaves a name without `%` as it is, and most have none: it runs on the others only
    CASE WHEN NOT contains(log_name, '/logs/') THEN log_name
         WHEN contains(log_tail, '%') THEN url_decode(log_tail)
         ELSE log_tail END AS log_id,
    resource_type,
    coalesce(project_id, CASE WHEN log_name LIKE 'projects/%' THEN split_part(log_name, '/', 2) END) AS project,
    nullif(coalesce(service_name, job_name, function_name, module_id, workflow_id, container_name), '') AS service,
    -- A GKE Deployment's pods are `<deployment>-<pod-template-hash>-<5 chars>`: the ReplicaSet
    -- `<deployment>-<hash>` is one rollout of the workload, what a Cloud Run revision is to a service.
    -- An App Engine version is one rollout of its service, as a revision is of a Cloud Run service.
    coalesce(nullif(revision_name, ''), nullif(version_id, ''),
             CASE WHEN resource_type IN ('k8s_container', 'k8s_pod') THEN
               nullif(regexp_extract(pod_name, {replicaset_of_pod}, 1), '') END) AS revision,
    coalesce(location, region) AS location,
    instance_id,
    trace,
    insert_id,
    http_method,
    http_url,
    -- the caller, as far as a request log tells (`impact._CALLERS_REFUSED`: a client new with the
    -- refusals is not the service's own traffic)
    http_user_agent,
    -- A Cloud Scheduler attempt is the caller's record of a call (to the service, whose own
    -- request log has it too, or to the Run Admin API to start a job): no request the service
    -- served. Its request line stays in the message for the scheduler's patterns.
    CASE WHEN resource_type IS DISTINCT FROM 'cloud_scheduler_job' THEN try_cast(http_status AS INTEGER) END
      AS http_status,
    try_cast(rtrim(http_latency, 's') AS DOUBLE) AS http_latency_s,
    pv[1] AS method_name,
    pv[2] AS principal,
    database_id,
    coalesce(naive = 'true', false) AS naive_ts,
    pp::VARCHAR AS proto_payload,
    NULL::BOOLEAN AS in_window,
    base AS staged_base,
    nullif(coalesce(service_name, job_name, function_name, module_id, workflow_id), '') AS filter_service,
    -- A StatefulSet's pods are `<statefulset>-<ordinal>`, an Indexed Job's `<job>-<index>-<random>`:
    -- the workload's name, for `--service` (`Store._k8s_workloads`); a Deployment's are its
    -- `revision`'s
    CASE WHEN resource_type IN ('k8s_container', 'k8s_pod') THEN
      coalesce(nullif(regexp_extract(pod_name, '^(.+)-[0-9]+$', 1), ''),
               nullif(regexp_extract(pod_name, {indexed_job_of_pod}, 1), '')) END AS staged_set,
    -- ... and the pod itself, for a pod whose name shows no workload (a DaemonSet's)
    CASE WHEN resource_type IN ('k8s_container', 'k8s_pod') THEN nullif(pod_name, '') END AS staged_pod,
    -- ... and a load balancer's backend service, for `--service` (`Store._gke_backends`)
    CASE WHEN resource_type = 'http_load_balancer' THEN nullif(backend_service_name, '') END AS staged_backend,
    -- A line of text the platform logged at no level of its own (DEFAULT; on GKE the INFO its
    -- agent gives stdout and the ERROR it gives stderr, whatever the line says): finalise reads
    -- the level its text states (`Store._stated_levels`); a line that states none keeps the
    -- stream's. PHP's `[php:warn] ... PHP Deprecated:` on an Apache's stderr is a notice, not an
    -- error (held-out NA06). A text input's lines had theirs read by the text reader already.
    text_payload IS NOT NULL AND resource_type IS DISTINCT FROM 'local'
      AND (sev_raw = 'DEFAULT' OR (resource_type = 'k8s_container'
                                   AND ((log_tail = 'stdout' AND sev_raw = 'INFO')
                                        OR (log_tail = 'stderr' AND sev_raw = 'ERROR'))))
      AS level_unstated,
    -- A request a monitor or a probe made, by its user agent (Cloud Monitoring's uptime checks,
    -- kubelet's probes, a load balancer's health checks) or by the health or metrics path it
    -- called: the library's `checkers` (`Store._checker_requests`)
    CASE WHEN http_status IS NULL THEN FALSE
         WHEN http_user_agent IS NOT NULL AND regexp_matches(http_user_agent, {checker_agent}) THEN TRUE
         WHEN http_url IS NOT NULL THEN regexp_matches(http_url, {checker_path})
         ELSE FALSE END AS checker_request
  FROM y3
)
SELECT * EXCLUDE ({finalise_columns}), CASE severity {sev_case} ELSE 0 END AS severity_num,
       {finalise_columns}
FROM z
