"""The writers of each format: CSV and JSON text streamed in pieces, XLSX written to a file.

They take rows (or records) from a generator and never hold a whole export: CSV and JSON
are yielded ~64 KiB at a time, XLSX goes row by row through openpyxl's write-only
workbook. A cell that a spreadsheet would read as a formula is written as plain text
(CSV injection), and every CSV starts with a byte-order mark so Excel reads it as UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

STREAM_BUFFER = 64 * 1024  # send the client ~64 KiB at a time rather than a line at a time

FORMATS = {
    "csv": ("CSV", "text/csv; charset=utf-8"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": ("JSON", "application/json"),
}


# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


def csv_chunks(rows: Iterable[dict], columns: list[tuple[str, str]]) -> Iterator[str]:
    """CSV text in ~64 KiB pieces. Starts with a byte-order mark so Excel reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _ in columns])
        if buffer.tell() >= STREAM_BUFFER:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(records: Iterable[dict], header: dict) -> Iterator[str]:
    """The export-v1 document, one escalation at a time: never the whole array in memory."""
    # The header's closing brace gives way to the array, which is written item by item.
    pieces, size = [json.dumps(header, ensure_ascii=False)[:-1] + ', "escalations": ['], 0
    for index, record in enumerate(records):
        text = ("," if index else "") + json.dumps(record, ensure_ascii=False)
        pieces.append(text)
        size += len(text)
        if size >= STREAM_BUFFER:
            yield "".join(pieces)
            pieces, size = [], 0
    pieces.append("]}")
    yield "".join(pieces)


def write_xlsx(rows: Iterable[dict], columns: list[tuple[str, str]], target) -> None:
    """Write rows with openpyxl's write-only workbook: each row goes to disk as it is added."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Escalations")
    sheet.freeze_panes = "A2"
    for index, (key, _) in enumerate(columns):
        sheet.column_dimensions[_column_letter(index)].width = 22 if key.endswith("_at") else 18
    bold = Font(bold=True)
    header = []
    for _, label in columns:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(key), WriteOnlyCell) for key, _ in columns])
    workbook.save(target)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _xlsx_cell(sheet, value, cell_class):
    if isinstance(value, datetime):
        # Excel has no time zones: London wall-clock time, as on every page.
        cell = cell_class(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, str) and value.startswith("="):
        # openpyxl would store it as a formula; force a plain string.
        cell = cell_class(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
