"""The HTML report in a real headless Chromium: the filters, the sort, and inert text.

Skipped, with the reason, where Chromium, its driver or selenium is not installed; CI
installs them (`.ci/run`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qfill.answering import AnswerRun
from qfill.filling import plan_fills
from qfill.library import Answer, Library
from qfill.matching import Candidate, Match
from qfill.questionnaire import FileFormat, Questionnaire, QuestionRow, SheetLayout, TargetCell
from qfill.reasons import reason
from qfill.render.report_page import SCRIPT, render_html, script_hash
from qfill.report import build_report

LIBRARY = Library(Path("library"), (
    Answer("mfa-workforce", "Is MFA required for all workforce access?",
           "Yes. Okta with WebAuthn.", short="Yes"),
    Answer("encryption-at-rest", "Is customer data encrypted at rest?",
           "Yes. AES-256 <b>everywhere</b>.", short="Yes"),
    Answer("backups", "How often are backups taken?", "Hourly snapshots.", short=None),
))

# Questionnaire text that would run, or load something, if it were ever read as HTML.
HOSTILE = [
    "Do you use <script>window.__pwned = 1</script> scripts?",
    "Is <img src=x onerror=\"window.__pwned = 2\"> allowed?",
    "Close </td></tr></table><script>window.__pwned = 3</script> here?",
    "Do you log <svg onload=\"window.__pwned = 4\"> events?",
]


def _row(sheet: str, row: int, question: str, qid: str) -> QuestionRow:
    return QuestionRow(sheet, row, question, qid, targets=(
        TargetCell("short", f"C{row}", choices=("Yes", "No")), TargetCell("answer", f"D{row}")))


def _report_html() -> str:
    rows = [
        _row("Access", 2, "Is MFA enforced for staff?", "AC-1"),
        _row("Access", 3, HOSTILE[0], "AC-2"),
        _row("Access", 4, HOSTILE[1], "AC-10"),
        _row("Data", 2, "Is customer data encrypted at rest?", "DA-1"),
        _row("Data", 3, HOSTILE[2], "DA-2"),
        _row("Data", 4, HOSTILE[3], "DA-3"),
    ]
    matches = (
        Match(rows[0], "filled", (Candidate("mfa-workforce", 0.97),)),
        Match(rows[1], "review", (Candidate("mfa-workforce", 0.55),),
              (reason("low-score", "best match 0.55 is below 0.90"),)),
        Match(rows[2], "review", (Candidate("encryption-at-rest", 0.41),),
              (reason("negation", "the question says 'allow', 'encryption-at-rest' says "
                      "'deny'"),)),
        Match(rows[3], "filled", (Candidate("encryption-at-rest", 0.95),)),
        Match(rows[4], "unanswered", (Candidate("backups", 0.1),),
              (reason("low-score", "best match 'backups' 0.10 is below 0.20"),)),
        Match(rows[5], "review", (Candidate("backups", 0.7),),
              (reason("low-score", "best match 0.70 is below 0.90"),)),
    )
    questionnaire = Questionnaire(Path("q.xlsx"), FileFormat.XLSX, tuple(rows), sheets=(
        SheetLayout("Access", "questions", header_row=1, question_rows=3),
        SheetLayout("Data", "questions", header_row=1, question_rows=3)))
    run = AnswerRun(questionnaire, matches, plan_fills(matches, LIBRARY))
    return render_html(build_report(run, LIBRARY, questionnaire_name="q.xlsx",
                                    output_name="q.filled.xlsx", library_name="."))


def test_the_page_allows_only_its_own_script() -> None:
    page = _report_html()
    assert page.count("<script>") == 1 and f"<script>{SCRIPT}</script>" in page
    assert f"script-src {script_hash()};" in page and "default-src 'none'" in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("Chromium and chromedriver are not installed (apt-get install chromium "
                    "chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Any:
    path = tmp_path / "report.html"
    path.write_text(_report_html(), encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def _visible(driver: Any) -> list[str]:
    """The data-qid of each row shown, in order."""
    from selenium.webdriver.common.by import By

    return [tr.get_attribute("data-qid") for tr in
            driver.find_elements(By.CSS_SELECTOR, "#rows tbody tr") if tr.is_displayed()]


def test_questionnaire_text_is_inert(page: Any) -> None:
    from selenium.webdriver.common.by import By

    assert page.execute_script("return window.__pwned === undefined")
    assert page.find_elements(By.CSS_SELECTOR, "#rows tbody img, #rows tbody svg") == []
    assert len(page.find_elements(By.TAG_NAME, "script")) == 1
    questions = [td.text for td in page.find_elements(By.CSS_SELECTOR,
                                                      "#rows tbody td:nth-child(3)")]
    for text in HOSTILE:
        assert text in questions  # shown as the words it is
    answer = page.find_element(By.XPATH, "//tr[@data-qid='DA-1']")
    assert "AES-256 <b>everywhere</b>." in answer.text


def test_filters_by_sheet_status_reason_and_text(page: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    assert page.find_element(By.ID, "filters").is_displayed()  # shown by the script
    # Grouped by what to do: decide, write, then check; workbook order within a group.
    assert _visible(page) == ["AC-2", "AC-10", "DA-3", "DA-2", "AC-1", "DA-1"]
    count = page.find_element(By.ID, "f-count")
    assert count.text == "6 of 6 rows shown"
    Select(page.find_element(By.ID, "f-sheet")).select_by_value("Data")
    assert _visible(page) == ["DA-3", "DA-2", "DA-1"]
    Select(page.find_element(By.ID, "f-status")).select_by_value("review")
    assert _visible(page) == ["DA-3"]
    assert count.text == "1 of 6 rows shown"
    Select(page.find_element(By.ID, "f-sheet")).select_by_value("")
    Select(page.find_element(By.ID, "f-reason")).select_by_value("negation")
    assert _visible(page) == ["AC-10"]
    Select(page.find_element(By.ID, "f-reason")).select_by_value("")
    Select(page.find_element(By.ID, "f-status")).select_by_value("")
    search = page.find_element(By.ID, "f-text")
    search.send_keys("webauthn")  # an answer's words: written (AC-1) or suggested (AC-2)
    assert _visible(page) == ["AC-2", "AC-1"]
    search.clear()
    search.send_keys("<svg")
    assert _visible(page) == ["DA-3"]


def test_clicking_a_sheet_bar_shows_that_sheet(page: Any) -> None:
    from selenium.webdriver.common.by import By

    page.find_element(By.CSS_SELECTOR, ".sheet-name[data-sheet=Access]").click()
    assert page.find_element(By.ID, "f-sheet").get_attribute("value") == "Access"
    assert _visible(page) == ["AC-2", "AC-10", "AC-1"]


def test_columns_sort_by_clicking_their_heading(page: Any) -> None:
    from selenium.webdriver.common.by import By

    heading = page.find_element(By.CSS_SELECTOR, "th[data-sort=confidence]")
    heading.click()
    assert heading.get_attribute("aria-sort") == "ascending"
    assert _visible(page) == ["DA-2", "AC-10", "AC-2", "DA-3", "DA-1", "AC-1"]
    heading.click()
    assert _visible(page) == ["AC-1", "DA-1", "DA-3", "AC-2", "AC-10", "DA-2"]
    page.find_element(By.CSS_SELECTOR, "th[data-sort=qid]").click()
    assert _visible(page) == ["AC-1", "AC-2", "AC-10", "DA-1", "DA-2", "DA-3"]  # numeric
    page.find_element(By.CSS_SELECTOR, "th[data-sort=position]").click()
    assert _visible(page) == ["AC-1", "AC-2", "AC-10", "DA-1", "DA-2", "DA-3"]  # workbook


def test_printing_drops_the_controls(page: Any) -> None:
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert page.execute_script(
            "return getComputedStyle(document.getElementById('filters')).display") == "none"
        assert len(_visible(page)) == 6
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
