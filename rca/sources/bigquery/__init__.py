"""BigQuery and Log Analytics sources: the same window, read from a linked dataset or a log sink.

``target`` parses ``--log-analytics`` / ``--bigquery``; ``shapes`` detects the table layout from
its schema; ``sql`` builds the GoogleSQL (regexes and times as query parameters, never pasted);
``cost`` decides run / confirm / refuse from a dry run; ``client`` builds the real
google-cloud-bigquery client (``RCA_BIGQUERY_ENDPOINT`` for a local fake); ``fetch`` runs it all
and returns canonical LogEntry dicts for the ordinary store.
"""
