-- One canonical LogEntry (column j JSON) -> one normalised row. See docs/architecture.md.
-- {rel} is a relation with columns: j JSON, ord BIGINT (entry order in its source), source VARCHAR.
WITH x AS (
  SELECT
    source,
    ord,
    j,
    json_extract_string(j, [
      '$.timestamp', '$.receiveTimestamp', '$.severity', '$.textPayload', '$.logName',
      '$.resource.type', '$.resource.labels.project_id', '$.resource.labels.service_name',
      '$.resource.labels.job_name', '$.resource.labels.revision_name', '$.resource.labels.location',
      '$.resource.labels.region', '$.labels.instanceId', '$.trace', '$.spanId', '$.insertId',
      '$.httpRequest.requestMethod', '$.httpRequest.requestUrl', '$.httpRequest.status',
      '$.httpRequest.latency', '$.sourceLocation.file', '$.sourceLocation.line',
      '$.protoPayload.methodName', '$.protoPayload.authenticationInfo.principalEmail',
      '$.protoPayload.status.message', '$.protoPayload.resourceName',
      '$.jsonPayload.message', '$.jsonPayload.msg', '$.jsonPayload.event', '$.jsonPayload.error',
      '$.jsonPayload.textPayload', '$.jsonPayload.exc_info', '$.jsonPayload.exception',
      '$.jsonPayload.stack_trace', '$.jsonPayload.stack', '$._line', '$._naive_ts',
      '$.resource.labels.database_id', '$.jsonPayload.severity', '$.jsonPayload.level'
    ]) AS v,
    json_extract(j, '$.jsonPayload') AS jp,
    json_extract(j, '$.protoPayload') AS pp
  FROM {rel}
), y AS (
  SELECT
    source, ord, v, jp, pp,
    try_cast(v[1] AS TIMESTAMPTZ)::TIMESTAMP AS ts,
    try_cast(v[2] AS TIMESTAMPTZ)::TIMESTAMP AS receive_ts,
    upper(coalesce(v[3], v[39], v[40], 'DEFAULT')) AS sev_raw,
    v[5] AS log_name,
    CASE WHEN v[4] IS NOT NULL THEN v[4]
         ELSE concat_ws(chr(10),
                coalesce(v[27], v[28], v[29],
                         CASE WHEN json_type(jp, '$.error') = 'VARCHAR' THEN v[30] END, v[31]),
                coalesce(v[32], v[33], v[34], v[35]))
    END AS text_msg,
  FROM x
)
SELECT
  source,
  coalesce(try_cast(v[36] AS INTEGER), ord::INTEGER) AS line_no,
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
    CASE WHEN pp IS NOT NULL THEN coalesce(v[25], v[23]) END,
    CASE WHEN v[17] IS NOT NULL OR v[19] IS NOT NULL THEN
      concat_ws(' ', v[17],
                regexp_replace(coalesce(v[18], ''), '^[a-z]+://[^/]*', ''),
                v[19], v[20]) END,
    CASE WHEN jp IS NOT NULL THEN jp::VARCHAR END,
    ''
  ) AS message,
  log_name,
  CASE WHEN log_name LIKE '%/logs/%'
       THEN url_decode(split_part(log_name, '/logs/', 2))
       ELSE log_name END AS log_id,
  v[6] AS resource_type,
  coalesce(v[7], CASE WHEN log_name LIKE 'projects/%' THEN split_part(log_name, '/', 2) END) AS project,
  nullif(coalesce(v[8], v[9]), '') AS service,
  nullif(v[10], '') AS revision,
  coalesce(v[11], v[12]) AS location,
  v[13] AS instance_id,
  v[14] AS trace,
  v[15] AS span_id,
  v[16] AS insert_id,
  v[17] AS http_method,
  v[18] AS http_url,
  try_cast(v[19] AS INTEGER) AS http_status,
  try_cast(rtrim(v[20], 's') AS DOUBLE) AS http_latency_s,
  v[21] AS source_file,
  try_cast(v[22] AS INTEGER) AS source_line,
  v[23] AS method_name,
  v[24] AS principal,
  v[38] AS database_id,
  coalesce(v[37] = 'true', false) AS naive_ts,
  coalesce(jp, pp)::VARCHAR AS payload
FROM y
