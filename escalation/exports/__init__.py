"""Auditor exports: a generator of rows (or full records) plus one formatter per format.

Nothing here loads a whole export into memory. The escalations are read with
`values(…).iterator(chunk_size=…)` (a server-side cursor on PostgreSQL), and each chunk's
related rows are read once per chunk with `IN (ids)`, as prefetch_related does, but as
plain rows with the people and agencies joined in (select_related-style), so no model
instances are built. An export therefore costs a fixed number of queries per chunk however
many escalations it holds, and its memory stays flat. CSV and JSON stream to the client as
they are built; XLSX is written row by row by openpyxl's write-only workbook into a
temporary file, which is then streamed.

Every export is recorded in the access log before a byte of it is sent, and a person may
export only so many times an hour.

The package, in the order an export passes through it: `scope` (who may export, and which
escalations), `audit` (the access-log record, the hourly limit, past exports), `rows` (the
flat CSV/XLSX rows), `records` (the full JSON record), `formatters` (the CSV, XLSX and JSON
writers) and `responses` (the HTTP responses and `export_response`, which the page calls).
Callers import from here: `from escalation import exports` then `exports.export_queryset`.
"""

from escalation.exports.audit import (
    EXPORT_OBJECT_TYPE,
    ExportLimitReached,
    PastExport,
    export_history,
    export_record,
    exports_per_hour,
    learning_report_export_record,
)
from escalation.exports.formatters import FORMATS, FORMULA_STARTS, STREAM_BUFFER, csv_chunks, json_chunks, write_xlsx
from escalation.exports.records import (
    RECORD_FIELDS,
    RECORD_QUERIES_PER_CHUNK,
    RECORDS_CHUNK_SIZE,
    SCHEMA_ID,
    SCHEMA_PATH,
    escalation_records,
)
from escalation.exports.responses import (
    FORMATTERS,
    csv_response,
    export_filename,
    export_response,
    json_response,
    xlsx_response,
)
from escalation.exports.rows import (
    CATEGORY_LABELS,
    ROW_COLUMNS,
    ROW_FIELDS,
    ROWS_CHUNK_SIZE,
    STATE_LABELS,
    TIMESCALE_WORDS,
    URGENCY_LABELS,
    chunked,
    escalation_rows,
    row_columns,
    stage_columns,
)
from escalation.exports.scope import (
    EXPORT_LOG_READERS,
    ExportFilter,
    export_log_partnerships,
    export_partnerships,
    export_queryset,
)

__all__ = [
    "CATEGORY_LABELS",
    "EXPORT_LOG_READERS",
    "EXPORT_OBJECT_TYPE",
    "FORMATS",
    "FORMATTERS",
    "FORMULA_STARTS",
    "RECORDS_CHUNK_SIZE",
    "RECORD_FIELDS",
    "RECORD_QUERIES_PER_CHUNK",
    "ROWS_CHUNK_SIZE",
    "ROW_COLUMNS",
    "ROW_FIELDS",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "STATE_LABELS",
    "STREAM_BUFFER",
    "TIMESCALE_WORDS",
    "URGENCY_LABELS",
    "ExportFilter",
    "ExportLimitReached",
    "PastExport",
    "chunked",
    "csv_chunks",
    "csv_response",
    "escalation_records",
    "escalation_rows",
    "export_filename",
    "export_history",
    "export_log_partnerships",
    "export_partnerships",
    "export_queryset",
    "export_record",
    "export_response",
    "exports_per_hour",
    "json_chunks",
    "json_response",
    "learning_report_export_record",
    "row_columns",
    "stage_columns",
    "write_xlsx",
    "xlsx_response",
]
