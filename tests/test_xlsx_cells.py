"""The clinic XLSX writes text cells through a small cache of escaped values: the same text reads back
the same the first time and every later time, whatever it holds."""

from openpyxl import load_workbook

from reports import export_files, exports

TRICKY = ["a & b < c > d", " leading and trailing ", "_x0041_ literal", "bell\x07here", "plain", "ünïcødé ✓"]


def test_text_cells_read_back_as_written_each_time(tmp_path, monkeypatch):
    monkeypatch.setattr(export_files, "_TEXT_ELEMENTS", {})
    width = len(exports.SCORE_COLUMNS)
    rows = [(TRICKY + [n] + [""] * (width - len(TRICKY) - 1)) for n in range(3)]  # each text three times
    target = tmp_path / "cells.xlsx"
    export_files.write_scores_xlsx(target, [(rows, 3)], ["tbsc-2"], lambda n: None)
    sheet = load_workbook(target)["screenings"]
    read = [list(row[:len(TRICKY) + 1]) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [row[-1] for row in read] == [0, 1, 2]
    assert read[0][:-1] == read[1][:-1] == read[2][:-1]  # from the cache as when first escaped
    assert [read[0][n] for n in (0, 1, 4, 5)] == [TRICKY[n] for n in (0, 1, 4, 5)]
    # Excel's escapes are kept as Excel reads them (openpyxl shows them escaped): "_x" literal, control characters.
    assert read[0][2:4] == ["_x005F_x0041_ literal", "bell_x0007_here"]
    assert set(export_files._TEXT_ELEMENTS) == set(TRICKY)
    for value in TRICKY:
        for _ in range(2):
            assert export_files._text_cell("C9", value) == (
                f'<c r="C9" t="inlineStr"><is>{export_files._text_element(value)}</is></c>')


def test_the_cache_stays_small(monkeypatch):
    monkeypatch.setattr(export_files, "_TEXT_ELEMENTS", {})
    for n in range(10_000):
        export_files._text_cell("A1", f"S{n:012d}")
    assert len(export_files._TEXT_ELEMENTS) <= 4097
    assert export_files._text_cell("B7", "x & y") == '<c r="B7" t="inlineStr"><is><t>x &amp; y</t></is></c>'
