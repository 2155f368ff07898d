"""CSV questionnaires: planned cells filled, everything else byte-for-byte, no formulas."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from writeback_fixtures import plan_of

from qfill.errors import OutputCheckError, OutputError
from qfill.escaping import csv_safe
from qfill.questionnaire import FileFormat
from qfill.sheets.csv_table import read_csv_table
from qfill.sheets.writer import check_filled, write_filled


def write_csv(path: Path, text: str, encoding: str = "utf-8", bom: bytes = b"") -> Path:
    path.write_bytes(bom + text.encode(encoding))
    return path


def fill(source: Path, cells: dict[str, str], **kw: object) -> Path:
    out = source.with_name("out.csv")
    plan = plan_of("questions", cells)
    write_filled(source, out, plan, file_format=FileFormat.CSV, **kw)
    check_filled(source, out, plan, file_format=FileFormat.CSV, **kw)
    return out


def test_only_the_written_records_change(tmp_path: Path) -> None:
    text = ('ID,Question,Answer\n'
            'Q1,"Do you encrypt data at rest, and how?",\n'
            'Q2,"Multi-line\nquestion",\n'
            'Q3,  spaced  ,\n')
    source = write_csv(tmp_path / "q.csv", text)
    out = fill(source, {"C2": "Yes, AES-256", "C4": "No"})
    assert out.read_text(encoding="utf-8") == (
        'ID,Question,Answer\n'
        'Q1,"Do you encrypt data at rest, and how?","Yes, AES-256"\n'
        'Q2,"Multi-line\nquestion",\n'
        'Q3,  spaced  ,No\n')


def test_dialect_bom_and_crlf_are_kept(tmp_path: Path) -> None:
    text = ('"ID";"Question";"Answer"\r\n'
            '"Q1";"Is MFA enforced?";""\r\n'
            '"Q2";"Übersicht";""\r\n')
    source = write_csv(tmp_path / "q.csv", text, bom=b"\xef\xbb\xbf")
    out = fill(source, {"C3": 'Ja; "immer"'})
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8") == (
        '"ID";"Question";"Answer"\r\n'
        '"Q1";"Is MFA enforced?";""\r\n'
        '"Q2";"Übersicht";"Ja; ""immer"""\r\n')


def test_utf16_tab_separated_text_round_trips(tmp_path: Path) -> None:
    text = "ID\tQuestion\tAnswer\r\nQ1\tBackups?\t\r\n"
    source = write_csv(tmp_path / "q.csv", text, encoding="utf-16-le", bom=b"\xff\xfe")
    out = fill(source, {"C2": "Täglich ✓"})
    data = out.read_bytes()
    assert data.startswith(b"\xff\xfe")
    assert data[2:].decode("utf-16-le") == "ID\tQuestion\tAnswer\r\nQ1\tBackups?\tTäglich ✓\r\n"


def test_legacy_encoding_is_kept_and_unencodable_text_refused(tmp_path: Path) -> None:
    text = "ID,Question,Answer\nQ1,Sécurité physique?,\n"
    source = write_csv(tmp_path / "q.csv", text, encoding="cp1252")
    out = fill(source, {"C2": "Oui, 24/7 — €"})
    assert out.read_bytes() == "ID,Question,Answer\nQ1,Sécurité physique?,\"Oui, 24/7 — €\"\n" \
        .encode("cp1252")
    with pytest.raises(OutputError, match="cannot hold; save the CSV as UTF-8"):
        write_filled(source, tmp_path / "x.csv", plan_of("q", {"C2": "認証"}),
                     file_format=FileFormat.CSV)
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx",
                                   "=HYPERLINK(\"http://evil\",\"click\")"])
def test_formula_like_values_are_neutralised(tmp_path: Path, value: str) -> None:
    source = write_csv(tmp_path / "q.csv", "ID,Answer\nQ1,\n")
    out = fill(source, {"B2": value})
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8"), newline="")))
    assert rows[1] == ["Q1", "'" + value]


def test_plain_values_are_not_touched(tmp_path: Path) -> None:
    assert csv_safe("Yes - see policy") == "Yes - see policy"
    assert csv_safe("1 = one") == "1 = one"


def test_header_columns_are_appended_after_the_last_filled_column(tmp_path: Path) -> None:
    text = "ID,Question\nQ1,Backups?\nQ2,Logs?,stray note\nQ3,MFA?\n"
    source = write_csv(tmp_path / "q.csv", text)
    table = read_csv_table(source)
    assert table.width == 3
    assert table.appended_columns(2) == ("D", "E")
    out = fill(source, {"D2": "Yes", "E2": "Daily", "D4": "=No"},
               csv_header_append=["Answer", "Notes"])
    assert out.read_text(encoding="utf-8") == (
        "ID,Question,,Answer,Notes\n"
        "Q1,Backups?,,Yes,Daily\n"
        "Q2,Logs?,stray note\n"
        "Q3,MFA?,,'=No\n")


def test_verify_without_the_header_names_accepts_them_on_one_record(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", "ID,Question\nQ1,Backups?\nQ2,Logs?\n")
    out = fill(source, {"C2": "Yes", "D2": "Daily"}, csv_header_append=["Short", "Answer"])
    plan = plan_of("q", {"C2": "Yes", "D2": "Daily"})
    check_filled(source, out, plan, file_format=FileFormat.CSV)  # as a caller that does not know
    with pytest.raises(OutputCheckError, match="record 1 changed but has no planned cell"):
        check_filled(source, out, plan, file_format=FileFormat.CSV, csv_header_append=["Short"],
                      csv_header_row=3)
    out.write_text("ID,Question,Short,Answer\nQ1,Backups?,Yes,Daily\nQ2,Logs?,,junk\n",
                   encoding="utf-8")
    with pytest.raises(OutputCheckError, match="record 3 changed but has no planned cell"):
        check_filled(source, out, plan, file_format=FileFormat.CSV)


def test_appended_columns_fill_blank_trailing_fields(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", "ID,Question,,\nQ1,Backups?,,\nQ2,Logs?\n")
    assert read_csv_table(source).appended_columns(2) == ("C", "D")
    out = fill(source, {"C2": "Yes", "D3": "Daily"}, csv_header_append=["Short", "Answer"])
    assert out.read_text(encoding="utf-8") == (
        "ID,Question,Short,Answer\nQ1,Backups?,Yes,\nQ2,Logs?,,Daily\n")


def test_appended_columns_without_a_header_record(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", "Do you back up?\nDo you log?\n")
    out = fill(source, {"B1": "Yes", "B2": "No"}, csv_header_append=["Answer"],
               csv_header_row=None)
    check_filled(source, out, plan_of("q", {"B1": "Yes", "B2": "No"}), file_format=FileFormat.CSV)
    assert out.read_text(encoding="utf-8") == "Do you back up?,Yes\nDo you log?,No\n"


def test_last_record_without_newline(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", "ID,Answer\nQ1,")
    out = fill(source, {"B2": "Yes"})
    assert out.read_bytes() == b"ID,Answer\nQ1,Yes"


def test_text_too_long_for_a_cell_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", "ID,Answer\nQ1,\n")
    with pytest.raises(OutputError, match="cell B2: the text is longer"):
        write_filled(source, tmp_path / "o.csv", plan_of("q", {"B2": "=" + "x" * 32_766}),
                     file_format=FileFormat.CSV)


def test_destination_equal_to_source_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", "ID,Answer\nQ1,\n")
    with pytest.raises(OutputError, match="questionnaire itself"):
        write_filled(source, source, plan_of("q", {"B2": "Yes"}), file_format=FileFormat.CSV)
    assert source.read_text() == "ID,Answer\nQ1,\n"


def test_verify_catches_changes_outside_the_plan(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", "ID,Question,Answer\nQ1,Backups?,\nQ2,Logs?,\n")
    out = fill(source, {"C2": "Yes"})
    plan = plan_of("q", {"C2": "Yes"})
    out.write_text("ID,Question,Answer\nQ1,Backups!,Yes\nQ2,Logs?,\n", encoding="utf-8")
    with pytest.raises(OutputCheckError, match="cell B2 holds 'Backups!'"):
        check_filled(source, out, plan, file_format=FileFormat.CSV)
    out.write_text("ID,Question,Answer\nQ1,Backups?,Yes\nQ2,Logs?,\r\n", encoding="utf-8")
    with pytest.raises(OutputCheckError, match="record 3 has another line ending"):
        check_filled(source, out, plan, file_format=FileFormat.CSV)
    out.write_text("ID,Question,Answer\nQ1,Backups?,Yes\nQ2,Logs,\n", encoding="utf-8")
    with pytest.raises(OutputCheckError, match="record 3 changed but has no planned cell"):
        check_filled(source, out, plan, file_format=FileFormat.CSV)
    out.write_text("ID,Question,Answer\nQ1,Backups?,\nQ2,Logs?,\n", encoding="utf-8")
    with pytest.raises(OutputCheckError, match="cell C2 holds '', expected 'Yes'"):
        check_filled(source, out, plan, file_format=FileFormat.CSV)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=80).filter(lambda v: "\x00" not in v))
def test_any_text_round_trips_through_csv(tmp_path: Path, value: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = write_csv(Path(folder) / "q.csv", "ID,Question,Answer\r\nQ1,Backups?,\r\n")
        out = fill(source, {"C2": value})
        assert read_csv_table(out).records[1] == ("Q1", "Backups?", csv_safe(value))
