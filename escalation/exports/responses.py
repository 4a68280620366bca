"""The HTTP side of an export: record it, then stream it to the browser as an attachment.

`export_response` is what the export page calls to send an export. It logs the export (or refuses it when
the hourly limit is reached) before anything is sent, builds the JSON header, and hands
the escalations to the response for the chosen format: CSV and JSON stream as they are
built, XLSX is written to an anonymous temporary file that is then streamed. Every
response is marked no-store, as it carries children's records.
"""

from __future__ import annotations

import tempfile
from datetime import datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from cases.audit import client_ip
from escalation.exports.audit import export_record
from escalation.exports.formatters import FORMATS, csv_chunks, json_chunks, write_xlsx
from escalation.exports.records import SCHEMA_ID, escalation_records
from escalation.exports.rows import escalation_rows, row_columns, stage_columns
from escalation.exports.scope import ExportFilter, export_queryset


def export_filename(partnership, fmt: str, at: datetime | None = None) -> str:
    at = timezone.localtime(at or timezone.now())
    return f"{partnership.slug}-escalations-{at:%Y-%m-%d-%H%M}.{fmt}"


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Children's records: no browser or proxy may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


def csv_response(queryset, *, filename: str, **_):
    columns = row_columns(stage_columns(queryset))
    response = StreamingHttpResponse(csv_chunks(escalation_rows(queryset), columns), content_type=FORMATS["csv"][1])
    return _attachment(response, filename)


def xlsx_response(queryset, *, filename: str, **_):
    columns = row_columns(stage_columns(queryset))
    # An anonymous temporary file: removed by the OS when FileResponse closes it.
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_xlsx(escalation_rows(queryset), columns, target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    response = FileResponse(target, content_type=FORMATS["xlsx"][1])
    return _attachment(response, filename)


def json_response(queryset, *, filename: str, header: dict):
    response = StreamingHttpResponse(json_chunks(escalation_records(queryset), header), content_type=FORMATS["json"][1])
    return _attachment(response, filename)


FORMATTERS = {"csv": csv_response, "xlsx": xlsx_response, "json": json_response}


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.get_full_name()}


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def export_response(request, *, fmt: str, export_filter: ExportFilter):
    """Record the export (or refuse it: ExportLimitReached), then return the streaming response."""
    queryset = export_queryset(request.user, export_filter)
    export_record(
        user=request.user, ip_address=client_ip(request), fmt=fmt, export_filter=export_filter, queryset=queryset
    )
    now = timezone.now()
    header = {
        "schema": SCHEMA_ID,
        "exported_at": _iso(now),
        "exported_by": _person(request.user),
        "filter": export_filter.as_dict(),
    }
    return FORMATTERS[fmt](queryset, filename=export_filename(export_filter.partnership, fmt, now), header=header)
