"""Hostile and broken input, end to end through the CLI: clear errors, nothing lost,
nothing injected.

Every refusal is asserted whole: exit code, one line on stderr naming the file and the
problem, no traceback, and the input's bytes unchanged.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hostile_fixtures import assert_refused, digest
from openpyxl import Workbook
from process_fixtures import CHILD_TIMEOUT, child_process, line_within
from questionnaire_fixtures import (
    build_simple,
    list_validation,
    rewrite_part,
    sheet_part,
)

from qfill.sheets.package import MAX_PART_BYTES

REPO = Path(__file__).resolve().parent.parent

LIBRARY = {
    "answers/security.yaml": """
        owner: security@example.com
        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            answer: Yes. AES-256 through AWS KMS on every data store.
            short: "Yes"
            refs: {custom: [S-1]}
        """,
}


def answer(run_cli, library: Path, questionnaire: Path, *extra: str):
    return run_cli("answer", questionnaire, "--library", library, *extra)


# --------------------------------------------------------------------------- 1. questionnaires


def _truncated(path: Path) -> None:
    data = build_simple(path.with_name("whole.xlsx")).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _legacy_xls(path: Path) -> None:
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)


def _encrypted(path: Path) -> None:
    # An encrypted OOXML file is an OLE2 container with EncryptionInfo/EncryptedPackage streams.
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
                     + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 512
                     + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 2048)


def _no_questions(path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Cover"
    wb.active["A1"] = "Vendor security review 2026"
    wb.active["A3"] = "Please complete every tab."
    wb.save(path)


def _entity(kind: str) -> Callable[[Path], None]:
    doctypes = {
        "external": '<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        "expansion": '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
                     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    }

    def build(path: Path) -> None:
        build_simple(path)
        def inject(xml: str) -> str:
            at = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
            return xml[:at] + doctypes[kind] + xml[at:]

        rewrite_part(path, sheet_part(path, "Security"), inject)

    return build


def _million_empty_rows(path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Data"
    wb.save(path)

    def claim(xml: str) -> str:
        import re

        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace("<sheetData/>", '<sheetData><row r="1048576"><c r="XFD1048576"/>'
                           "</row></sheetData>")

    rewrite_part(path, sheet_part(path, "Data"), claim)


QUESTIONNAIRE_CASES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "not-a-zip": ("q.xlsx", lambda p: p.write_text("id,question\n", encoding="utf-8"),
                  "not a zip package"),
    "truncated-zip": ("q.xlsx", _truncated, "q.xlsx: "),
    "empty-file": ("q.xlsx", lambda p: p.write_bytes(b""), "the file is empty"),
    "directory": ("q.xlsx", lambda p: p.mkdir(), "is a folder"),
    "legacy-xls": ("q.xls", _legacy_xls, ".xls"),
    "encrypted": ("q.xlsx", _encrypted, "encrypted"),
    "no-questions": ("q.xlsx", _no_questions, "no question rows found"),
    "zip-bomb": ("q.xlsx", lambda p: None, "zip bomb"),  # copied from the zip_bomb fixture
    "external-entity": ("q.xlsx", _entity("external"), "unsafe XML"),
    "entity-expansion": ("q.xlsx", _entity("expansion"), "unsafe XML"),
    "million-empty-rows": ("q.xlsx", _million_empty_rows, "no question rows found"),
}


@pytest.mark.parametrize("case", sorted(QUESTIONNAIRE_CASES))
def test_unusable_questionnaire_exits_2_in_one_line(case: str, tmp_path: Path, run_cli,
                                                    write_library,
                                                    request: pytest.FixtureRequest) -> None:
    name, build, needle = QUESTIONNAIRE_CASES[case]
    library = write_library(LIBRARY)
    path = tmp_path / name
    build(path)
    if case == "zip-bomb":
        shutil.copy(request.getfixturevalue("zip_bomb"), path)
    before = digest(path)
    started = time.monotonic()
    result = answer(run_cli, library, path)
    elapsed = time.monotonic() - started
    line = assert_refused(result, 2, str(path), needle)
    assert digest(path) == before
    assert elapsed < 30, f"{case} took {elapsed:.1f}s: {line}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {name, "library", "whole.xlsx", "template.xlsx"} & {p.name for p in tmp_path.iterdir()})


@pytest.mark.slow
def test_zip_bomb_is_refused_with_bounded_memory(tmp_path: Path, write_library,
                                                zip_bomb: Path) -> None:
    """The bomb is refused by name, and its part is never inflated into memory: the
    child's peak memory stays far below the part's size."""
    library = write_library(LIBRARY)
    assert zip_bomb.stat().st_size < 4 * 1024 * 1024
    # The peak resident memory of this process image (VmHWM; getrusage's maxrss would
    # include the memory of the test process it was forked from).
    script = textwrap.dedent("""
        import atexit, re, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        def peak():
            try:
                with open("/proc/self/status", encoding="ascii") as status:
                    found = re.search(r"VmHWM:\\s*(\\d+) kB", status.read())
            except OSError:
                found = None
            sys.stderr.write(f"\\npeak {found.group(1) if found else -1}\\n")
        atexit.register(peak)
        from qfill.cli import main
        sys.argv = ["qfill", "answer", sys.argv[1], "--library", sys.argv[2]]
        main()
    """)
    result = subprocess.run([sys.executable, "-c", script, str(zip_bomb), str(library)],
                            capture_output=True, text=True, timeout=120, check=False,
                            cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "zip bomb" in result.stderr and "Traceback" not in result.stderr
    peak_kib = int(result.stderr.rsplit("peak ", 1)[1])
    if peak_kib < 0:
        pytest.skip("no /proc/self/status here to read the peak memory from")
    assert peak_kib * 1024 < MAX_PART_BYTES // 2, f"peak memory {peak_kib} KiB"


# --------------------------------------------------------------------------- 2. library input

BOMB = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize(("files", "needle"), [
    ({"answers/a.yaml": "answers:\n  - id: x\n    question: [unclosed\n"},
     "answers/a.yaml:4:1: YAML syntax error"),
    ({"answers/a.yaml": BOMB}, "answers/a.yaml:"),
    ({"answers/a.yaml": b"answers:\n  - id: caf\xe9\n"}, "answers/a.yaml:2:12: not valid UTF-8"),
    ({"answers/a.yaml": "answers:\n" + "  - {id: x, question: q, answer: a}\n" * 300_000},
     "over the 8388608-byte limit"),
    ({"answers/a.yaml": "answers:\n  - id: x\n    question: q\n    answer: !!python/object/"
                        "apply:os.system ['touch PWNED']\n"}, "unsupported YAML tag"),
])
def test_hostile_library_exits_2_and_constructs_nothing(files, needle, tmp_path: Path, run_cli,
                                                        write_library, monkeypatch) -> None:
    library = write_library(files)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    before = digest(questionnaire)
    monkeypatch.chdir(tmp_path)
    assert_refused(answer(run_cli, library, questionnaire), 2, needle)
    assert not (tmp_path / "PWNED").exists() and not (library / "PWNED").exists()
    assert digest(questionnaire) == before
    assert not (tmp_path / "q.filled.xlsx").exists()


# --------------------------------------------------------------------------- 3. injection

TRIGGERS = ["=1+1", "+44 20 7946 0000", "-1 day", "@SUM(A1)", "\tindented", "\rreturn"]


def _questionnaire_with(path: Path, questions: list[tuple[str, str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sec"
    ws.append(["ID", "Question", "Response", "Comments"])
    for qid, question in questions:
        ws.append([qid, question, None, None])
    list_validation(ws, '"Yes,No,N/A"', f"C2:C{len(questions) + 1}")
    wb.save(path)
    return path


def test_formula_triggers_land_as_text_in_cells_and_neutralised_in_csv(
        tmp_path: Path, run_cli, write_library) -> None:
    import json

    lines = ["owner: x@example.com", "answers:"]
    for i, text in enumerate(TRIGGERS):
        lines += [f"  - id: answer-{i}", f"    question: Question number {i} about things?",
                  f"    answer: {json.dumps(text)}", '    short: "Yes"',
                  f"    refs: {{custom: [Q-{i}]}}"]
    library = write_library({"answers/a.yaml": "\n".join(lines) + "\n"})
    questionnaire = _questionnaire_with(tmp_path / "q.xlsx", [
        (f"Q-{i}", f"Question number {i} about things?") for i in range(len(TRIGGERS))])
    before = digest(questionnaire)
    result = answer(run_cli, library, questionnaire, "--report", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    assert digest(questionnaire) == before
    from qfill.sheets.cell_text import decode_cell_text

    ws = openpyxl.load_workbook(tmp_path / "q.filled.xlsx")["Sec"]
    for i, text in enumerate(TRIGGERS):
        cell = ws[f"D{i + 2}"]
        assert cell.data_type == "s" and decode_cell_text(cell.value) == text, (i, cell.value)
    report = (tmp_path / "r.csv").read_text(encoding="utf-8")
    for row in report.splitlines()[1:]:
        assert not row.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_markdown_and_html_reports_keep_questions_inert(tmp_path: Path, run_cli,
                                                        write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = _questionnaire_with(tmp_path / "q.xlsx", [
        ("X-1", "Do you <script>alert('x')</script> sanitise input?"),
        ("X-2", "Do you [read this](javascript:alert(1)) before signing?")])
    for suffix in (".md", ".html"):
        report = tmp_path / f"r{suffix}"
        result = answer(run_cli, library, questionnaire, "--report", report, "--dry-run")
        assert result.exit_code == 0, result.output
        text = report.read_text(encoding="utf-8")
        if suffix == ".md":
            from markdown_it import MarkdownIt

            assert "<script>" not in text and "\\<script\\>alert('x')" in text
            assert "[read this](javascript" not in text
            rendered = MarkdownIt("commonmark").enable("table").render(text)
            assert "<script>" not in rendered and "&lt;script&gt;alert" in rendered
            assert 'href="javascript' not in rendered
        else:  # the page's own script is the only one
            assert "<script>alert" not in text and "&lt;script&gt;alert" in text


# --------------------------------------------------------------------------- 4. files


def test_output_equal_to_input_is_refused(tmp_path: Path, run_cli, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    before = digest(questionnaire)
    assert_refused(answer(run_cli, library, questionnaire, "--out", questionnaire), 2,
                   "is the questionnaire itself")
    assert_refused(answer(run_cli, library, questionnaire, "--report", questionnaire), 2,
                   "is the questionnaire itself")
    assert digest(questionnaire) == before


def test_existing_output_is_refused_unless_force(tmp_path: Path, run_cli, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    existing = tmp_path / "q.filled.xlsx"
    existing.write_bytes(b"keep me")
    assert_refused(answer(run_cli, library, questionnaire), 2,
                   f"{existing}: already exists; pass --force to overwrite it")
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "q.report.md").exists()
    assert answer(run_cli, library, questionnaire, "--force").exit_code == 0
    assert existing.read_bytes()[:2] == b"PK"


def test_failure_mid_write_leaves_no_partial_output(tmp_path: Path, run_cli, write_library,
                                                    monkeypatch) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx")
    before = digest(questionnaire)
    real_fsync = os.fsync

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qfill.files.os.fsync", disk_full)
    result = answer(run_cli, library, questionnaire)
    monkeypatch.setattr("qfill.files.os.fsync", real_fsync)
    assert_refused(result, 2, "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library", "q.xlsx"]
    assert digest(questionnaire) == before


@pytest.mark.parametrize("path", ["../secrets.txt", "/etc/passwd", "evidence/link.md"])
def test_evidence_escaping_the_library_is_refused(path: str, tmp_path: Path, run_cli,
                                                  write_library) -> None:
    library = write_library({"answers/a.yaml": f"""
        answers:
          - id: enc
            question: Is customer data encrypted at rest?
            answer: "Yes."
            evidence: [{path}]
        """})
    (tmp_path / "secrets.txt").write_text("secret", encoding="utf-8")
    (library / "evidence").mkdir(exist_ok=True)
    (library / "evidence" / "link.md").symlink_to(tmp_path / "secrets.txt")
    questionnaire = build_simple(tmp_path / "q.xlsx")
    assert_refused(answer(run_cli, library, questionnaire), 2, "answers/a.yaml:5:",
                   f"evidence path '{path}' leads outside evidence/")


# --------------------------------------------------------------------------- 5. interrupt


@pytest.mark.slow
def test_ctrl_c_exits_130_and_leaves_no_files(tmp_path: Path, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = build_simple(tmp_path / "q.xlsx", rows=50)
    before = digest(questionnaire)
    # Hold the run inside the atomic write (the temporary file exists), then press ^C.
    script = textwrap.dedent("""
        import os, signal, sys, time
        # As in a terminal: a shell starts background jobs with ^C ignored, and a Python
        # started with SIGINT ignored keeps ignoring it, so the test would wait forever.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import qfill.files
        def slow_fsync(fd):
            sys.stderr.write("WRITING\\n"); sys.stderr.flush()
            time.sleep(600)  # until the ^C; killed by the test if it never comes
        qfill.files.os = type("os", (), {**{k: getattr(os, k) for k in dir(os)
                                             if not k.startswith("__")}, "fsync": slow_fsync})
        from qfill.cli import main
        sys.argv = ["qfill", "answer", sys.argv[1], "--library", sys.argv[2]]
        main()
    """)
    with child_process([sys.executable, "-c", script, str(questionnaire), str(library)],
                       cwd=tmp_path) as child:
        assert line_within(child.stderr) == "WRITING"
        assert any(p.name.endswith(".part") for p in tmp_path.iterdir())
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=CHILD_TIMEOUT)
    assert child.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library", "q.xlsx"]
    assert digest(questionnaire) == before


def test_a_silent_child_cannot_hang_the_interrupt_test() -> None:
    """The guard the ^C test relies on: waiting for a line that never comes returns."""
    started = time.monotonic()
    with child_process([sys.executable, "-c", "import time; time.sleep(60)"]) as child:
        assert line_within(child.stderr, 0.5) == ""
    assert child.returncode is not None and time.monotonic() - started < 30
