"""The clinic export files, written batch by batch to a local file (the job then stores it).

- Scores: XLSX, a "screenings" sheet (continued on "screenings (2)" past Excel's row limit) and the
  data dictionary. xlsxwriter makes the workbook (styles, header rows, frozen panes, the dictionary);
  the screenings rows are streamed into its sheet as XML, written here the way xlsxwriter writes them
  in constant-memory mode (inline strings, the same escapes). Through xlsxwriter's own cell calls the
  100,000-screening export spent about 5 µs a cell, 30 s of CPU for 3.5 million cells; this writes
  them about ten times faster (bench/export_jobs.py measures both).
- Item answers: CSV compressed with gzip, and Parquet in one row group per batch, both by pyarrow.

Each writer takes the batches of reports.exports and an `advance(n)` callback for the progress.
Text cells were made safe upstream (reports.spreadsheet); nothing here writes a formula.
"""

import math
import re
import shutil
import tempfile
import zipfile

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from reports import exports

# As xlsxwriter escapes cell text: &, < and > for XML; control characters as _xHHHH_, and a literal
# "_xHHHH_" with its underscore escaped, so Excel reads back the text that was written.
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")


def _text_element(value):
    if "_x" in value:
        value = _LITERAL_ESCAPE.sub(r"_x005F\1", value)
    value = value.translate(_XML_TEXT)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda match: f"_x{ord(match.group(1)):04X}_", value)
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f"<t{space}>{value}</t>"


_TEXT_ELEMENTS = {}  # the <t> of text values seen lately: most columns repeat a few values row after row


def _text_cell(ref, value):
    element = _TEXT_ELEMENTS.get(value)
    if element is None:
        if len(_TEXT_ELEMENTS) > 4096:
            _TEXT_ELEMENTS.clear()
        element = _TEXT_ELEMENTS[value] = _text_element(value)
    return f'<c r="{ref}" t="inlineStr"><is>{element}</is></c>'


def _row_xml(number, values, columns):
    row = str(number)
    cells = []
    for column, value in zip(columns, values):
        if value is None or value == "":
            continue  # an empty cell
        if value.__class__ is str:
            cells.append(_text_cell(column + row, value))
        elif isinstance(value, float) and not math.isfinite(value):
            continue
        else:
            cells.append(f'<c r="{column}{row}"><v>{int(value) if isinstance(value, bool) else value!r}</v></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_scores_xlsx(path, batches, instrument_keys, advance):
    """The screenings sheet(s) from score_row_batches, then the data dictionary for instrument_keys."""
    columns = [xl_col_to_name(n) for n in range(len(exports.SCORE_COLUMNS))]
    with tempfile.TemporaryDirectory(prefix="bondscreen-xlsx-") as scratch:
        # 1. The rows, as sheet XML, one file per sheet (rows 2 to Excel's limit; row 1 is the header).
        parts, out, number = [], None, exports.EXCEL_MAX_ROWS
        for rows, screenings in batches:
            for values in rows:
                if number == exports.EXCEL_MAX_ROWS:
                    if out is not None:
                        out.close()
                    parts.append([f"{scratch}/rows-{len(parts) + 1}.xml", 1])
                    out, number = open(parts[-1][0], "w", encoding="utf-8"), 1
                number += 1
                out.write(_row_xml(number, values, columns))
                parts[-1][1] = number
            advance(screenings)
        if out is not None:
            out.close()
        parts = parts or [[None, 1]]

        # 2. The workbook around them, by xlsxwriter: a header row on each sheet, the dictionary.
        template = f"{scratch}/template.xlsx"
        workbook = xlsxwriter.Workbook(template, {"strings_to_formulas": False, "strings_to_numbers": False,
                                                  "strings_to_urls": False})
        header = workbook.add_format({"bold": True})
        for n, _part in enumerate(parts, 1):
            sheet = workbook.add_worksheet("screenings" if n == 1 else f"screenings ({n})")
            sheet.write_row(0, 0, exports.SCORE_COLUMNS, header)
            sheet.freeze_panes(1, 0)
        dictionary = exports.data_dictionary(instrument_keys)
        sheet = workbook.add_worksheet("data dictionary")
        sheet.write_row(0, 0, list(dictionary.columns), header)
        sheet.freeze_panes(1, 0)
        for n, values in enumerate(dictionary.itertuples(index=False), 1):
            for column, value in enumerate(values):
                if value:
                    sheet.write_string(n, column, str(value))
        workbook.close()

        # 3. The file: the template's parts, with the rows spliced into sheet1.xml, sheet2.xml, ...
        sheets = {f"xl/worksheets/sheet{n}.xml": part for n, part in enumerate(parts, 1)}
        with zipfile.ZipFile(template) as source, \
                zipfile.ZipFile(str(path), "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename not in sheets:
                    target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                    continue
                rows_file, last_row = sheets[info.filename]
                xml = data.decode("utf-8")
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{columns[-1]}{last_row}"/>', xml, count=1)
                end = xml.index("</sheetData>")
                with target.open(info.filename, "w", force_zip64=True) as member:
                    member.write(xml[:end].encode("utf-8"))
                    if rows_file is not None:
                        with open(rows_file, "rb") as rows:
                            shutil.copyfileobj(rows, member, 1024 * 1024)
                    member.write(xml[end:].encode("utf-8"))


def write_items_csv_gz(path, tables, advance):
    """One CSV (header once, quotes only where needed), gzip-compressed as it is written."""
    with pa.CompressedOutputStream(str(path), "gzip") as out:
        with pa_csv.CSVWriter(out, exports.ITEM_SCHEMA,
                              write_options=pa_csv.WriteOptions(quoting_style="needed")) as writer:
            for table in tables:
                writer.write_table(table)
                advance(table.num_rows)


def write_items_parquet(path, tables, advance):
    """Parquet, one row group per batch, so memory stays that of one batch."""
    with pq.ParquetWriter(str(path), exports.ITEM_SCHEMA, compression="zstd") as writer:
        for table in tables:
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
            advance(table.num_rows)
