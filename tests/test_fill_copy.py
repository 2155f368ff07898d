"""stage_filled_copy: the one way `answer` and `apply` write a filled file, and its target."""

from __future__ import annotations

from pathlib import Path

import pytest
from questionnaire_fixtures import build_simple
from writeback_fixtures import plan_of

from qfill.errors import OutputCheckError
from qfill.files import OutputSet
from qfill.questionnaire import FileFormat
from qfill.sheets import writer
from qfill.sheets.reader import read_questionnaire, read_questionnaire_file
from qfill.sheets.writer import WriteTarget, stage_filled_copy


def test_a_csv_without_answer_columns_is_written_where_the_reader_found_its_header(
        tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("Vendor questionnaire 2026,\n,\nID,Question\n"
                    "Q1,Do you encrypt data at rest?\nQ2,Do you run backups daily?\n",
                    encoding="utf-8")
    source = read_questionnaire_file(path)
    questionnaire = read_questionnaire(source)
    target = WriteTarget.of(questionnaire)
    assert target == WriteTarget(FileFormat.CSV, ("Answer", "Short"), 3)
    first = questionnaire.rows[0]
    cells = {t.ref: "Yes" if t.role == "short" else "AES-256 everywhere." for t in first.targets}
    out = tmp_path / "out.csv"
    with OutputSet() as outputs:
        stage_filled_copy(outputs, out, source, plan_of(first.sheet, cells), target,
                          replace=False)
        assert not out.exists()  # staged, not yet in place
        outputs.commit()
    assert out.read_text(encoding="utf-8").splitlines() == [
        "Vendor questionnaire 2026,", ",", "ID,Question,Answer,Short",
        "Q1,Do you encrypt data at rest?,AES-256 everywhere.,Yes",
        "Q2,Do you run backups daily?"]


def test_a_workbook_target_is_its_format_alone(tmp_path: Path) -> None:
    questionnaire = read_questionnaire(build_simple(tmp_path / "q.xlsx"))
    assert WriteTarget.of(questionnaire) == WriteTarget(FileFormat.XLSX)


def test_the_staged_copy_is_checked_as_read_back_and_a_failed_check_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = read_questionnaire_file(build_simple(tmp_path / "q.xlsx"))
    row = read_questionnaire(source).rows[0]
    plan = plan_of(row.sheet, {row.targets[0].ref: "Yes"})
    out = tmp_path / "out.xlsx"
    checked: list[bytes] = []
    real_check = writer.check_copy

    def failing_check(source_file, written, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        checked.append(written.data)
        real_check(source_file, written, *args, **kwargs)  # the real check passes first
        raise OutputCheckError(f"{written.path}: cell changed")

    monkeypatch.setattr(writer, "check_copy", failing_check)
    with pytest.raises(OutputCheckError), OutputSet() as outputs:
        stage_filled_copy(outputs, out, source, plan, WriteTarget(FileFormat.XLSX), replace=False)
        outputs.commit()
    assert checked == [writer.fill_copy(source, plan, WriteTarget(FileFormat.XLSX))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.xlsx"]  # nothing staged is left
    with OutputSet() as outputs:
        stage_filled_copy(outputs, out, source, plan, WriteTarget(FileFormat.XLSX), replace=False,
                          check=False)
        outputs.commit()
    assert len(checked) == 1 and out.read_bytes() == checked[0]


@pytest.mark.parametrize(("flag", "checked"), [(None, True), ("--no-check-output", False),
                                               ("--no-verify-output", False),
                                               ("--verify-output", True)])
def test_the_output_check_flag_and_its_former_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli, write_library,
        flag: str | None, checked: bool) -> None:
    library = write_library({"answers/a.yaml": """
        answers:
          - id: control-1
            question: Do you run security control number 1?
            answer: Yes, every day.
            short: "Yes"
        """})
    questionnaire = build_simple(tmp_path / "q.xlsx")

    def failing_check(*_args, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        raise OutputCheckError("out.xlsx: cell changed")

    monkeypatch.setattr(writer, "check_copy", failing_check)
    result = run_cli("answer", questionnaire, "--library", library, "--out",
                     tmp_path / "out.xlsx", *([flag] if flag else []))
    assert result.exit_code == (1 if checked else 0), result.output
    assert (tmp_path / "out.xlsx").exists() is not checked
