"""Text from the input that carries tricks: it reaches every output inert, and odd text
is a one-line error or plain text, never an internal error.

Reproduced against the previous release: a cell holding ``_xD800_`` (a lone surrogate) or a
questionnaire file name that is not UTF-8 ended in exit 3 in every report format and in
`inspect`; a 1,500-deep nesting in styles.xml with --highlight raised RecursionError; a
file name with a backtick opened a live <img> in the Markdown report; ESC sequences in
cells reached the terminal, the CSV and the Markdown report raw.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from markdown_it import MarkdownIt
from openpyxl import Workbook
from questionnaire_fixtures import rewrite_part

LIBRARY = {
    "answers/security.yaml": """
        owner: security@example.com
        answers:
          - id: encryption-at-rest
            question: Is customer data encrypted at rest?
            answer: Yes. AES-256 through AWS KMS on every data store.
            short: "Yes"
            refs: {custom: [S-1]}
          - id: patching
            question: How quickly do you patch critical vulnerabilities?
            answer: Within 14 days of the fix being published.
        """,
}
ESC = "_x001B_[2J_x001B_]0;owned_x0007_"  # clear the screen, set the window title
ROWS = [
    ("S-1", "Is customer data encrypted at rest?"),
    ("S-2", f"Do you patch {ESC} critical vulnerabilities quickly?"),
    ("S-3", "Is _xD800_ data on lone surrogates kept _xD83D__xDE00_ anywhere?"),
]


def _questionnaire(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["ID", "Question", "Response", "Comments"])
    for qid, question in ROWS:
        ws.append([qid, question, None, None])
    wb.save(path)
    return path


def assert_no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, text
    assert not any("\ud800" <= ch <= "\udfff" for ch in text)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run([sys.executable, "-m", "qfill", *args], capture_output=True,
                          cwd=cwd, env=env, timeout=120, check=False)


# --------------------------------------------------------------------------- 10, 13


@pytest.mark.parametrize("suffix", [".md", ".json", ".csv", ".html"])
def test_escapes_and_lone_surrogates_in_cells_reach_every_report_inert(
        suffix: str, tmp_path: Path, run_cli, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = _questionnaire(tmp_path / "q.xlsx")
    report = tmp_path / f"r{suffix}"
    result = run_cli("answer", questionnaire, "--library", library, "--report", report,
                     "--review-file", tmp_path / "review.csv")
    assert result.exit_code == 0, result.output
    for text in (report.read_text(encoding="utf-8"),
                 (tmp_path / "review.csv").read_text(encoding="utf-8")):
        assert_no_raw_controls(text)
    text = report.read_text(encoding="utf-8")
    if suffix == ".json":
        assert "Is _xD800_ data on lone surrogates kept \U0001F600 anywhere?" in text
    else:
        assert "\\x1b" in text and "\U0001F600" in text
    filled = openpyxl.load_workbook(tmp_path / "q.filled.xlsx")["Security"]
    assert filled["C2"].value == "Yes. AES-256 through AWS KMS on every data store."


def test_inspect_rows_shows_escapes_instead_of_sending_them(tmp_path: Path) -> None:
    questionnaire = _questionnaire(tmp_path / "q.xlsx")
    result = run(["inspect", str(questionnaire), "--rows"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode("utf-8")
    assert_no_raw_controls(out)
    assert "\\x1b[2J" in out and "_xD800_" in out


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path, write_library, run_cli,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    library = write_library(LIBRARY)
    name = os.fsdecode(b"caf\xe9 `<img src=x onerror=alert(1)>`.xlsx")
    shutil.copy(_questionnaire(tmp_path / "q.xlsx"), tmp_path / name)
    monkeypatch.chdir(tmp_path)
    for report in ("r.md", "r.json", "r.html", "r.csv"):
        # One run as a shell starts it (the name as bytes in argv, printed to real pipes);
        # the other formats only differ in the report, so they run in-process, with the
        # name as Python decodes such an argv.
        args = ["answer", name, "--library", str(library), "--report", report, "--force"]
        if report == "r.html":
            result = run(args, tmp_path)
            assert result.returncode == 0, result.stderr
        else:
            answered = run_cli(*args)
            assert answered.exit_code == 0, answered.output
        text = (tmp_path / report).read_text(encoding="utf-8")
        if report != "r.csv":  # the CSV report has no header naming the file
            assert "caf\\xe9" in text.replace("\\\\", "\\")
        if report == "r.html":
            assert "<img" not in text
        if report == "r.md":
            assert "<img" not in MarkdownIt("commonmark").render(text)
    inspect = run(["inspect", name], tmp_path)
    assert inspect.returncode == 0, inspect.stderr
    missing = run(["answer", name + "x", "--library", str(library)], tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.decode("utf-8").count("\n") == 1
    assert "caf\\xe9" in missing.stderr.decode("utf-8")


def test_deep_nesting_in_styles_is_a_one_line_error(tmp_path: Path, write_library) -> None:
    library = write_library(LIBRARY)
    questionnaire = _questionnaire(tmp_path / "q.xlsx")
    deep = "<x:a>" * 1500 + "</x:a>" * 1500

    def nest(xml: str) -> str:
        ext = f'<extLst><ext uri="x" xmlns:x="urn:x">{deep}</ext></extLst>'
        return xml.replace("</styleSheet>", ext + "</styleSheet>")

    rewrite_part(questionnaire, "xl/styles.xml", nest)
    result = run(["answer", str(questionnaire), "--library", str(library), "--highlight"],
                 tmp_path)
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    assert "xl/styles.xml: elements nested 101 deep" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library", "q.xlsx"]


# --------------------------------------------------------------------------- 12


def test_markdown_header_escapes_file_names_and_library_path(tmp_path: Path, run_cli,
                                                             write_library) -> None:
    library = write_library(LIBRARY, root=tmp_path / "lib`<b>x</b>`")
    questionnaire = _questionnaire(tmp_path / "evil`<img src=x onerror=alert(1)>`.xlsx")
    report = tmp_path / "r.md"
    result = run_cli("answer", questionnaire, "--library", library, "--report", report)
    assert result.exit_code == 0, result.output
    header = report.read_text(encoding="utf-8").splitlines()[:3]
    # The title escapes markup; paths are code spans no backtick inside can close.
    assert header[0].endswith("evil\\`\\<img src=x onerror=alert(1)\\>\\`.xlsx")
    assert f"Library `` {library} ``" in header[2]  # padded: the name ends in a backtick
    assert "; filled copy ``" in header[2] and header[2].endswith("`.filled.xlsx``")
    html = MarkdownIt("commonmark").render("\n".join(header))
    assert "<img" not in html and "<b>" not in html
