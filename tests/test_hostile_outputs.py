"""The outputs of one command succeed or fail together, and a failure leaves what was there.

Reproduced against the previous release: with --force a failure after the workbook was
written left neither the old filled copy nor a new one; `-o /dev/null --force` replaced
the device; SIGTERM left a temporary file, or an unverified workbook without a report;
two runs 0.2 s apart both "succeeded" with the workbook of one and the report of the
other; and a questionnaire replaced during the run was written from its new bytes.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
from hostile_fixtures import ENCRYPTION_ANSWER, ENCRYPTION_LIBRARY, assert_refused
from process_fixtures import CHILD_TIMEOUT, child_process, line_within
from questionnaire_fixtures import build_simple

from qfill.errors import OutputCheckError

LIBRARY, ANSWER = ENCRYPTION_LIBRARY, ENCRYPTION_ANSWER


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".old")))


@pytest.fixture
def earlier_run(tmp_path: Path, run_cli, write_library) -> tuple[Path, Path, dict[str, bytes]]:
    """A library, a questionnaire, and the outputs of an earlier successful run."""
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    result = run_cli("answer", questionnaire, "--library", library, "--review-file",
                     tmp_path / "review.csv")
    assert result.exit_code == 0, result.output
    before = {name: (tmp_path / name).read_bytes()
              for name in ("q.filled.xlsx", "q.report.md", "review.csv")}
    return library, questionnaire, before


def unchanged(folder: Path, before: dict[str, bytes]) -> bool:
    return all((folder / name).read_bytes() == data for name, data in before.items())


# --------------------------------------------------------------------------- 4. together


@pytest.mark.parametrize("option", ["--report", "--review-file"])
def test_a_missing_folder_is_refused_before_anything_is_replaced(
        option: str, earlier_run, tmp_path: Path, run_cli) -> None:
    library, questionnaire, before = earlier_run
    extra = [] if option == "--review-file" else ["--review-file", tmp_path / "review.csv"]
    result = run_cli("answer", questionnaire, "--library", library, "--force", *extra,
                     option, tmp_path / "nodir" / "r.csv")
    assert_refused(result, 2, "nodir/r.csv: folder", "does not exist")
    assert unchanged(tmp_path, before) and leftovers(tmp_path) == []


def test_a_failed_check_of_the_copy_keeps_the_earlier_outputs(
        earlier_run, tmp_path: Path, run_cli, monkeypatch) -> None:
    library, questionnaire, before = earlier_run

    def fails(*_args, **_kwargs) -> None:
        raise OutputCheckError(f"{tmp_path / 'q.filled.xlsx'}: part x differs; stop")

    monkeypatch.setattr("qfill.sheets.writer.check_copy", fails)
    result = run_cli("answer", questionnaire, "--library", library, "--force",
                     "--review-file", tmp_path / "review.csv")
    assert_refused(result, 1, "part x differs")
    assert unchanged(tmp_path, before) and leftovers(tmp_path) == []


def test_a_file_size_limit_hit_writing_the_report_keeps_the_earlier_outputs(
        tmp_path: Path, run_cli, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx", rows=300)  # a large report, a small copy
    earlier = run_cli("answer", questionnaire, "--library", library, "--review-file",
                      tmp_path / "review.csv", "--report", tmp_path / "q.report.json")
    assert earlier.exit_code == 0, earlier.output
    before = {name: (tmp_path / name).read_bytes()
              for name in ("q.filled.xlsx", "q.report.json", "review.csv")}
    limit = len(before["q.filled.xlsx"]) + 4096
    assert len(before["q.report.json"]) > limit
    script = textwrap.dedent("""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
        from qfill.cli import main
        sys.argv = ["qfill", "answer", sys.argv[1], "--library", sys.argv[2], "--force",
                    "--review-file", "review.csv", "--report", "q.report.json"]
        main()
    """)
    result = subprocess.run([sys.executable, "-c", script, str(questionnaire), str(library),
                             str(limit)], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path, check=False)
    assert result.returncode == 2, result.stderr
    assert "q.report.json: cannot write (File too large)" in result.stderr
    assert "Traceback" not in result.stderr
    assert unchanged(tmp_path, before) and leftovers(tmp_path) == []


def test_outputs_replaced_with_force_all_come_from_the_new_run(earlier_run, tmp_path: Path,
                                                               run_cli) -> None:
    library, questionnaire, before = earlier_run
    answers = library / "answers" / "security.yaml"
    answers.write_text(answers.read_text(encoding="utf-8").replace("AES-256", "AES-256-GCM"),
                       encoding="utf-8")
    result = run_cli("answer", questionnaire, "--library", library, "--force",
                     "--review-file", tmp_path / "review.csv")
    assert result.exit_code == 0, result.output
    assert leftovers(tmp_path) == []
    filled = openpyxl.load_workbook(tmp_path / "q.filled.xlsx")["Security"]
    assert filled["D2"].value == ANSWER.replace("AES-256", "AES-256-GCM")
    assert (tmp_path / "q.filled.xlsx").read_bytes() != before["q.filled.xlsx"]


# --------------------------------------------------------------------------- 5. special files


@pytest.mark.parametrize("kind", ["fifo", "link-to-device"])
@pytest.mark.parametrize("option", ["--out", "--report"])
def test_a_special_file_is_refused_as_an_output_and_left_as_it_is(
        kind: str, option: str, tmp_path: Path, run_cli, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    target = tmp_path / ("out.xlsx" if option == "--out" else "out.md")
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to(os.devnull)
    result = run_cli("answer", questionnaire, "--library", library, "--force", option, target)
    assert_refused(result, 2, f"{target}: is not a regular file")
    if kind == "fifo":
        assert stat.S_ISFIFO(target.stat().st_mode)
    else:
        assert target.is_symlink() and stat.S_ISCHR(target.stat().st_mode)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["library", "q.xlsx",
                                                                 target.name])


def test_a_special_file_is_refused_when_it_appears_during_the_run(tmp_path: Path) -> None:
    from qfill.errors import OutputError
    from qfill.files import OutputSet

    target = tmp_path / "out.xlsx"
    with pytest.raises(OutputError, match="is not a regular file"), OutputSet() as outputs:
        outputs.stage(target, b"new", replace=True)
        os.mkfifo(target)  # between the check and the move into place
        outputs.commit()
    assert stat.S_ISFIFO(target.stat().st_mode) and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- 6. SIGTERM


HOLD = textwrap.dedent("""
    import os, sys, time
    where = sys.argv[3]
    def hold(*args, **kwargs):
        sys.stderr.write("HOLDING\\n"); sys.stderr.flush()
        time.sleep(60)
    if where == "write":
        import qfill.files
        qfill.files.os = type("os", (), {**{k: getattr(os, k) for k in dir(os)
                                             if not k.startswith("__")}, "fsync": hold})
    else:
        import qfill.sheets.writer
        qfill.sheets.writer.check_copy = hold
    from qfill.cli import main
    sys.argv = ["qfill", "answer", sys.argv[1], "--library", sys.argv[2]]
    main()
""")


@pytest.mark.parametrize("where", ["write", "verify"])
def test_sigterm_is_handled_like_ctrl_c(where: str, tmp_path: Path, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx", rows=50)
    with child_process([sys.executable, "-c", HOLD, str(questionnaire), str(library), where],
                       cwd=tmp_path) as child:
        assert line_within(child.stderr) == "HOLDING"
        assert any(p.name.endswith(".part") for p in tmp_path.iterdir())
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=CHILD_TIMEOUT)
    assert child.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library", "q.xlsx"]


# --------------------------------------------------------------------------- 7. races


RACER = textwrap.dedent("""
    import os, sys, time
    import qfill.files
    real = os.fsync
    def slow(fd):
        time.sleep(0.4)
        real(fd)
    qfill.files.os = type("os", (), {**{k: getattr(os, k) for k in dir(os)
                                         if not k.startswith("__")}, "fsync": slow})
    from qfill.cli import main
    sys.argv = ["qfill", "answer", sys.argv[1], "--library", sys.argv[2],
                "-o", "out.xlsx", "-r", "out.json"]
    main()
""")


def test_two_runs_on_the_same_outputs_never_mix(tmp_path: Path, write_library) -> None:
    library = write_library(LIBRARY)
    inputs = []
    for name, question in (("a.xlsx", "Is customer data encrypted at rest? (A)"),
                           ("b.xlsx", "Is customer data encrypted at rest? (B)")):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Security"
        ws.append(["ID", "Question", "Response", "Comments"])
        ws.append(["S-1", question, None, None])
        wb.save(tmp_path / name)
        inputs.append(tmp_path / name)
    runs = []
    for path in inputs:
        runs.append(subprocess.Popen([sys.executable, "-c", RACER, str(path), str(library)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=tmp_path))
        time.sleep(0.2)
    results = [(run.returncode, err) for run in runs
               for _, err in [run.communicate(timeout=120)]]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "already exists; pass --force" in loser and "Traceback" not in loser
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    question = openpyxl.load_workbook(tmp_path / "out.xlsx")["Security"]["B2"].value
    assert report["rows"][0]["question"] == question
    assert report["questionnaire"].endswith(("a.xlsx", "b.xlsx"))
    assert question.endswith("(A)" if report["questionnaire"].endswith("a.xlsx") else "(B)")
    assert leftovers(tmp_path) == []


def test_create_if_absent_is_atomic(tmp_path: Path) -> None:
    from qfill.errors import OutputError
    from qfill.files import OutputSet

    target = tmp_path / "out.json"
    with pytest.raises(OutputError, match="already exists"), OutputSet() as outputs:
        outputs.stage(tmp_path / "first.json", b"1", replace=False)
        outputs.stage(target, b"mine", replace=False)
        target.write_bytes(b"theirs")  # another run creates it after every check
        outputs.commit()
    assert target.read_bytes() == b"theirs"
    assert not (tmp_path / "first.json").exists() and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- 8. read once


def test_the_copy_is_written_from_the_bytes_that_were_matched(tmp_path: Path, run_cli,
                                                              write_library,
                                                              monkeypatch) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    original = questionnaire.read_bytes()
    import qfill.answering

    real = qfill.answering.answer_questionnaire

    def replaced_meanwhile(*args, **kwargs):  # the customer re-sends the file mid-run
        wb = openpyxl.load_workbook(questionnaire)
        wb["Security"]["D2"] = "Customer's own answer, typed in the new version"
        wb["Security"]["B3"] = "A question that was changed"
        wb.save(questionnaire)
        return real(*args, **kwargs)

    monkeypatch.setattr(qfill.answering, "answer_questionnaire", replaced_meanwhile)
    result = run_cli("answer", questionnaire, "--library", library)
    assert result.exit_code == 0, result.output
    assert questionnaire.read_bytes() != original  # it really was replaced
    filled = openpyxl.load_workbook(tmp_path / "q.filled.xlsx")["Security"]
    assert filled["D2"].value == ANSWER
    assert filled["B3"].value == "Do you run security control number 2?"
