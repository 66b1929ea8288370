"""Reports: the template context, rendering (Markdown, text, HTML, JSON), redaction and the chart."""
