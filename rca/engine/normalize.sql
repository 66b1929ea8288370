-- Staged LogEntry fields -> one normalised `entries` row. See docs/architecture.md.
-- {rel} is a relation with the columns of rca/engine/store.py's `staged` table (the typed
-- LogEntry fields, jsonPayload `jp` and protoPayload `pp` as JSON) plus `ord` (the entry's
-- ordinal in its source), `entry_id` and `in_window`. Only the payloads are parsed here, and
-- only for the entries that have one.
WITH x AS (
  SELECT
    *,
    json_extract_string(jp, [
      '$.message', '$.msg', '$.event', '$.error', '$.textPayload', '$.exc_info', '$.exception',
      '$.stack_trace', '$.stack', '$.severity', '$.level'
    ]) AS jv,
    json_extract_string(pp, [
      '$.methodName', '$.authenticationInfo.principalEmail', '$.status.message'
    ]) AS pv
  FROM {rel}
), y AS (
  SELECT
    *,
    upper(coalesce(severity, jv[10], jv[11], 'DEFAULT')) AS sev_raw,
    CASE WHEN text_payload IS NOT NULL THEN text_payload
         ELSE concat_ws(chr(10),
                coalesce(jv[1], jv[2], jv[3],
                         CASE WHEN json_type(jp, '$.error') = 'VARCHAR' THEN jv[4] END, jv[5]),
                coalesce(jv[6], jv[7], jv[8], jv[9]))
    END AS text_msg,
  FROM x
), z AS (
  SELECT
    entry_id,
    source,
    coalesce(try_cast(line AS INTEGER), ord::INTEGER) AS line_no,
    ts,
    receive_ts,
    CASE WHEN sev_raw IN ('WARN') THEN 'WARNING'
         WHEN sev_raw IN ('ERR', 'FATAL') THEN (CASE sev_raw WHEN 'ERR' THEN 'ERROR' ELSE 'CRITICAL' END)
         WHEN sev_raw IN ('DEFAULT','DEBUG','INFO','NOTICE','WARNING','ERROR','CRITICAL','ALERT','EMERGENCY')
           THEN sev_raw
         WHEN try_cast(sev_raw AS INTEGER) IS NOT NULL THEN 'DEFAULT'
         ELSE 'DEFAULT' END AS severity,
    coalesce(
      nullif(text_msg, ''),
      CASE WHEN pp IS NOT NULL THEN coalesce(pv[3], pv[1]) END,
      CASE WHEN http_method IS NOT NULL OR http_status IS NOT NULL THEN
        concat_ws(' ', http_method,
                  regexp_replace(coalesce(http_url, ''), '^[a-z]+://[^/]*', ''),
                  http_status, http_latency) END,
      CASE WHEN jp IS NOT NULL THEN jp::VARCHAR END,
      ''
    ) AS message,
    log_name,
    CASE WHEN log_name LIKE '%/logs/%'
         THEN url_decode(split_part(log_name, '/logs/', 2))
         ELSE log_name END AS log_id,
    resource_type,
    coalesce(project_id, CASE WHEN log_name LIKE 'projects/%' THEN split_part(log_name, '/', 2) END) AS project,
    nullif(coalesce(service_name, job_name), '') AS service,
    nullif(revision_name, '') AS revision,
    coalesce(location, region) AS location,
    instance_id,
    trace,
    span_id,
    insert_id,
    http_method,
    http_url,
    try_cast(http_status AS INTEGER) AS http_status,
    try_cast(rtrim(http_latency, 's') AS DOUBLE) AS http_latency_s,
    source_file,
    try_cast(source_line AS INTEGER) AS source_line,
    pv[1] AS method_name,
    pv[2] AS principal,
    database_id,
    coalesce(naive = 'true', false) AS naive_ts,
    coalesce(jp, pp)::VARCHAR AS payload,
    in_window
  FROM y
)
SELECT *, CASE severity {sev_case} ELSE 0 END AS severity_num FROM z
