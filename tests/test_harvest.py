"""`qfill harvest`: answered rows become draft entries, settled against the library."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

from qfill.harvest.harvesting import HarvestResult, plan_harvest, write_harvest
from qfill.library import load_library, read_library
from qfill.settings import Settings
from tests.conftest import CliResult


def build_completed(path: Path, rows: Sequence[tuple[str, str, str | None, str | None]],
                    *, sections: bool = False) -> Path:
    """A bespoke completed questionnaire: id | question | Yes/No | narrative."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Security"
    ws.append(["Vendor security questionnaire"])
    ws.append([])
    ws.append(["ID", "Question", "Response (Y/N)", "Comments"])
    dv = DataValidation(type="list", formula1='"Yes,No,N/A"')
    ws.add_data_validation(dv)
    for i, (qid, question, short, narrative) in enumerate(rows, start=4):
        ws.append([qid, question, short, narrative])
        dv.add(f"C{i}")
    wb.save(path)
    return path


def harvest(paths: Sequence[Path], root: Path, **options: object) -> HarvestResult:
    result = plan_harvest(list(paths), root=root, settings=Settings(), **options)  # type: ignore[arg-type]
    write_harvest(result)
    return result


def entries(root: Path, name: str = "answers/harvested.yaml") -> list[dict[str, object]]:
    data = yaml.safe_load((root / name).read_text(encoding="utf-8"))
    return list(data["answers"])


def notes_of(result: HarvestResult, kind: str) -> list[str]:
    return [f"{n.where}: {n.message}" for n in result.notes if n.kind == kind]


PLANTED = [
    ("SEC-01", "Do you encrypt customer data at rest?", "Yes",
     "Yes. All customer data is encrypted with AES-256 in our managed databases."),
    ("SEC-02", "Is multi-factor authentication required for administrators?", "Yes", "NA"),
    ("SEC-03", "Do you process cardholder data?", "No",
     "Not applicable: we never store or process payment cards."),
    ("SEC-04", "Do you use production data in test environments?", "Yes",
     "No production data is ever copied into test systems."),
    ("SEC-05", "Do you encrypt customer data at rest?", "Yes",
     "Yes. All customer data is encrypted with AES-256 in our managed databases."),
    ("SEC-06", "Who should customers contact about security?", None,
     "Please reach out to your dedicated account manager."),
    ("SEC-07", "Describe your vulnerability management process.", None,
     "[Insert vendor response here]"),
    ("SEC-08", "Do you have a business continuity plan?", None, None),
    ("SEC-09", "Security contact name", None, "Jane Doe"),
    ("SEC-10", "Security contact email", None, "jane.doe@vendor.example"),
    ("SEC-11", "Security contact phone number", None, "+1 555 010 2030"),
    ("SEC-12", "Is data encrypted in transit?", "Yes", "See SEC-01."),
    ("SEC-13", "Date questionnaire completed", None, "2024-03-01"),
    ("SEC-14", "Institution name", None, "State University"),
    ("SEC-15", "Do you run annual penetration tests?", "Y",
     "Yes, an external firm tests the application every year."),
    ("SEC-16", "Security team mailbox", None, "security@vendor.example"),
]


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    return build_completed(tmp_path / "completed.xlsx", PLANTED)


def test_each_kind_of_real_world_row_is_reported_with_its_source_row(
        planted: Path, write_library: Callable[..., Path]) -> None:
    root = write_library({})
    result = harvest([planted], root)
    where = "completed.xlsx, Security row"
    assert notes_of(result, "na-narrative") == [
        f"{where} 5: the narrative 'NA' beside 'Yes' says nothing more; dropped"]
    assert [n.split(":")[0] for n in notes_of(result, "not-applicable-no")] == [f"{where} 6"]
    assert [n.split(":")[0] for n in notes_of(result, "contradiction")] == [f"{where} 7"]
    assert [n.split(":")[0] for n in notes_of(result, "duplicate")] == [f"{where} 8"]
    assert [n.split(":")[0] for n in notes_of(result, "relative-contact")] == [f"{where} 9"]
    assert [n.split(":")[0] for n in notes_of(result, "placeholder")] == [f"{where} 10"]
    assert [n.split(":")[0] for n in notes_of(result, "blank")] == [f"{where} 11"]
    assert [n.split(":")[0] for n in notes_of(result, "personal-data")] == [
        f"{where} 12", f"{where} 13", f"{where} 14"]
    assert [n.split(":")[0] for n in notes_of(result, "cross-reference")] == [f"{where} 15"]
    assert [n.split(":")[0] for n in notes_of(result, "about-questionnaire")] == [
        f"{where} 16", f"{where} 17"]
    by_question = {e["question"]: e for e in entries(root)}
    # Never an answer: the placeholder, the blank, staff details, the questionnaire's own
    # fields, the account manager.
    assert set(by_question) == {
        "Do you encrypt customer data at rest?",
        "Is multi-factor authentication required for administrators?",
        "Do you process cardholder data?",
        "Do you use production data in test environments?",
        "Is data encrypted in transit?",
        "Do you run annual penetration tests?",
        "Security team mailbox",
    }
    assert by_question["Is multi-factor authentication required for administrators?"][
        "answer"] == "Yes"  # the "NA" narrative is dropped, the Yes kept
    assert by_question["Is data encrypted in transit?"]["answer"] == "Yes"  # pointer dropped
    assert by_question["Do you run annual penetration tests?"]["short"] == "Yes"  # from "Y"
    assert by_question["Security team mailbox"]["answer"] == "security@vendor.example"
    encrypted = by_question["Do you encrypt customer data at rest?"]
    assert encrypted["source"] == [f"{where} 4", f"{where} 8"]  # the duplicate merged
    assert "reviewed" not in encrypted
    text = (root / "answers/harvested.yaml").read_text(encoding="utf-8")
    assert 'short: "Yes"' in text and "short: Yes" not in text


def test_new_entries_load_and_a_second_harvest_changes_nothing(
        planted: Path, write_library: Callable[..., Path]) -> None:
    root = write_library({})
    first = harvest([planted], root)
    assert len(first.new) == 7
    library = load_library(root)
    assert len({a.id for a in library.answers}) == 7
    before = (root / "answers/harvested.yaml").read_bytes()
    second = harvest([planted], root)
    assert (second.new, second.aliases, second.conflicts, second.edits) == ([], [], [], {})
    assert second.known == 7
    assert (root / "answers/harvested.yaml").read_bytes() == before


COMMENTED = """\
# Hand-written answers. Keep this comment.
owner: security@vendor.example   # the default owner
answers:
  - id: encryption-at-rest  # qfill: disable=stale-answer
    question: Is customer data encrypted at rest?
    answer: >-
      Yes. All customer data is encrypted with AES-256
      in our managed databases.
    short: Yes

  - id: pen-testing
    question: Do you run annual penetration tests?
    answer: No, not yet.
    short: "No"
"""


def test_alias_conflict_and_new_against_a_commented_library(
        planted: Path, write_library: Callable[..., Path]) -> None:
    root = write_library({"answers/security.yaml": COMMENTED})
    original = (root / "answers/security.yaml").read_bytes()
    result = harvest([planted], root)
    # "Do you run annual penetration tests?" is pen-testing's question, answered Yes here.
    assert [(c.entry.id, c.draft.short, c.entry.short) for c in result.conflicts] == [
        ("pen-testing", "Yes", "No")]
    assert [(a.entry.id, a.texts) for a in result.aliases] == [
        ("encryption-at-rest", ("Do you encrypt customer data at rest?",))]
    after = (root / "answers/security.yaml").read_text(encoding="utf-8")
    # Every original line kept as it was; one alias block inserted after the id.
    assert '  - id: encryption-at-rest  # qfill: disable=stale-answer\n    aliases:\n' in after
    assert after.replace(
        '    aliases:\n      - "Do you encrypt customer data at rest?"\n', "", 1
    ).encode() == original
    assert read_library(root)[0].by_id()["encryption-at-rest"].aliases == (
        "Do you encrypt customer data at rest?",)
    assert "Do you run annual penetration tests?" not in [
        e["question"] for e in entries(root)]


def test_a_commented_file_that_nothing_matches_is_unchanged(
        planted: Path, write_library: Callable[..., Path]) -> None:
    unrelated = COMMENTED.replace("Is customer data encrypted at rest?",
                                  "Do you keep an asset inventory?").replace(
        "Do you run annual penetration tests?", "Do you have a privacy officer?")
    root = write_library({"answers/security.yaml": unrelated})
    before = (root / "answers/security.yaml").read_bytes()
    result = harvest([planted], root)
    assert result.new and not result.aliases and not result.conflicts
    assert (root / "answers/security.yaml").read_bytes() == before


def test_a_plain_two_column_csv_is_harvested(tmp_path: Path,
                                             write_library: Callable[..., Path]) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Question,Answer\n"
                      "Do you encrypt backups?,\"Yes, with AES-256.\"\n"
                      "Do you allow remote work?,No\n"
                      "Describe your incident response process.,\n", encoding="utf-8")
    root = write_library({})
    result = harvest([export], root)
    got = {(e["question"], e.get("short"), e["answer"]) for e in entries(root)}
    assert got == {("Do you encrypt backups?", None, "Yes, with AES-256."),
                   ("Do you allow remote work?", "No", "No")}
    assert notes_of(result, "blank") == ["export.csv row 4: no answer"]
    assert entries(root)[0]["source"] == ["export.csv row 2"]


def test_two_products_answer_each_their_own_questionnaire(
        tmp_path: Path, write_library: Callable[..., Path],
        run_cli: Callable[..., CliResult]) -> None:
    atlas = build_completed(tmp_path / "atlas.xlsx", [
        ("P-1", "What is the name of the product?", None, "Atlas Cloud"),
        ("P-2", "Where is customer data hosted?", None, "In AWS eu-west-1 (Ireland)."),
        ("P-3", "Do you encrypt customer data at rest?", "Yes", "Yes, with AES-256."),
    ])
    beacon = build_completed(tmp_path / "beacon.xlsx", [
        ("P-1", "What is the name of the product?", None, "Beacon On-Prem"),
        ("P-2", "Where is customer data hosted?", None, "On the customer's own servers."),
        ("P-3", "Do you encrypt customer data at rest?", "Yes", "Yes, with AES-256."),
    ])
    root = write_library({})
    assert run_cli("harvest", atlas, "-l", root, "--product", "atlas").exit_code == 0
    second = run_cli("harvest", beacon, "-l", root, "--product", "beacon")
    assert second.exit_code == 0, second.output
    by_question: dict[str, list[tuple[str, list[str]]]] = {}
    for entry in entries(root):
        by_question.setdefault(str(entry["question"]), []).append(
            (str(entry["answer"]), sorted(entry.get("products", []))))  # type: ignore[call-overload]
    # Each product's own answer where they differ; one entry for both where they agree.
    assert by_question["What is the name of the product?"] == [
        ("Atlas Cloud", ["atlas"]), ("Beacon On-Prem", ["beacon"])]
    assert by_question["Do you encrypt customer data at rest?"] == [
        ("Yes, with AES-256.", ["atlas", "beacon"])]
    library = load_library(root)
    assert library.products() == ("atlas", "beacon")

    blank = tmp_path / "new-customer.csv"
    blank.write_text("Question,Answer\nWhat is the name of the product?,\n"
                     "Where is customer data hosted?,\n", encoding="utf-8")
    for product, name in (("beacon", "Beacon On-Prem"), ("atlas", "Atlas Cloud")):
        out = tmp_path / f"{product}.csv"
        result = run_cli("answer", blank, "-l", root, "--product", product, "-o", out,
                         "-r", tmp_path / f"{product}.json", "--force")
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert name in text
        assert ("Atlas" in text) == (product == "atlas")
    unknown = run_cli("answer", blank, "-l", root, "--product", "comet", "-o",
                      tmp_path / "x.csv", "--force")
    assert unknown.exit_code == 2
    assert "the products named are: atlas, beacon" in unknown.stderr


def test_the_same_question_twice_with_two_answers(tmp_path: Path,
                                                  write_library: Callable[..., Path]) -> None:
    """In one section: a duplicate-conflict, the first kept. In two sections: one entry per
    section, the section in the question, so they stay apart."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Q"
    ws.append(["Section", "Question", "Answer"])
    rows = [
        ("Access Control", "Are the policies and procedures reviewed annually?", "Yes, every May."),
        ("Access Control", "Are the policies and procedures reviewed annually?", "No."),
        ("Cryptography", "Are the policies and procedures reviewed annually?", "No, not yet."),
    ]
    for row in rows:
        ws.append(list(row))
    wb.save(tmp_path / "twice.xlsx")
    root = write_library({})
    result = harvest([tmp_path / "twice.xlsx"], root)
    assert notes_of(result, "duplicate-conflict") == [
        "twice.xlsx, Q row 3: asks what twice.xlsx, Q row 2 asks but answers 'No' where that "
        "row answers 'Yes, every May.'; the first is kept, settle it by hand"]
    assert [(e["question"], e["answer"], e["tags"]) for e in entries(root)] == [
        ("Are the policies and procedures reviewed annually? (Access Control)",
         "Yes, every May.", ["access-control"]),
        ("Are the policies and procedures reviewed annually? (Cryptography)",
         "No, not yet.", ["cryptography"]),
    ]
    assert len({e["id"] for e in entries(root)}) == 2


def test_mark_columns_give_the_yes_no(tmp_path: Path, write_library: Callable[..., Path]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Controls"
    ws.append(["ID", "Question", "Yes", "No", "N/A", "Notes"])
    ws.append(["C-1", "Do you encrypt laptops?", "X", None, None, "BitLocker and FileVault."])
    ws.append(["C-2", "Do you allow USB storage?", None, "x", None, None])
    ws.append(["C-3", "Do you operate a data centre?", None, None, "X", None])
    ws.append(["C-4", "Do you have a CISO?", "X", "X", None, None])
    wb.save(tmp_path / "marks.xlsx")
    root = write_library({})
    result = harvest([tmp_path / "marks.xlsx"], root)
    got = {e["question"]: (e.get("short"), e["answer"]) for e in entries(root)}
    assert got == {"Do you encrypt laptops?": ("Yes", "BitLocker and FileVault."),
                   "Do you allow USB storage?": ("No", "No"),
                   "Do you operate a data centre?": ("N/A", "N/A")}
    assert notes_of(result, "contradiction") == [
        "marks.xlsx, Controls row 5: several answers are marked (Yes, No); the Yes/No is "
        "left out for a person to choose"]


def test_dry_run_prints_the_plan_and_changes_nothing(
        planted: Path, write_library: Callable[..., Path],
        run_cli: Callable[..., CliResult]) -> None:
    root = write_library({"answers/security.yaml": COMMENTED})
    before = (root / "answers/security.yaml").read_bytes()
    result = run_cli("harvest", planted, "-l", root, "--dry-run")
    assert result.exit_code == 0, result.output
    assert not (root / "answers/harvested.yaml").exists()
    assert (root / "answers/security.yaml").read_bytes() == before
    assert "  new entries        5  (would add to answers/harvested.yaml)" in result.stdout
    assert "  would change answers/security.yaml" in result.stdout
    assert "  encryption-at-rest (answers/security.yaml): 1 alias(es) <- completed.xlsx, " \
           "Security row 4" in result.stdout
    assert "conflicts (not merged; settle each by hand):" in result.stdout
    assert "    library:   pen-testing (answers/security.yaml): [No] No, not yet." \
        in result.stdout
    assert result.stderr.startswith("dry run: 5 new entries, 1 new aliases, 1 conflicts, "
                                    "8 rows skipped\n")


def test_conflicts_csv_and_json_report_list_both_answers(
        planted: Path, write_library: Callable[..., Path],
        run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    import csv
    import json

    root = write_library({"answers/security.yaml": COMMENTED})
    result = run_cli("harvest", planted, "-l", root, "--conflicts", tmp_path / "c.csv",
                     "--report", tmp_path / "h.json")
    assert result.exit_code == 0, result.output
    with (tmp_path / "c.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["entry_id"], r["entry_short"], r["entry_answer"], r["harvested_short"],
             r["harvested_answer"], r["source"]) for r in rows] == [
        ("pen-testing", "No", "No, not yet.", "Yes",
         "Yes, an external firm tests the application every year.",
         "completed.xlsx, Security row 18")]
    report = json.loads((tmp_path / "h.json").read_text(encoding="utf-8"))
    assert report["summary"] == {"rows": 16, "new": 5, "aliases": 1, "conflicts": 1,
                                 "known": 0, "skipped": {
                                     "about-questionnaire": 2, "blank": 1,
                                     "personal-data": 3, "placeholder": 1,
                                     "relative-contact": 1}}
    lint = [n for n in report["notes"] if n["kind"] == "lint"]
    # What lint says about a harvested entry comes with the row it was harvested from.
    assert any(n["source"] == "completed.xlsx, Security row 7"
               and "[short-contradicts-answer]" in n["message"] for n in lint)


def test_a_headerless_two_column_csv_and_a_question_answer_xlsx(
        tmp_path: Path, write_library: Callable[..., Path]) -> None:
    from openpyxl import Workbook

    bare = tmp_path / "bare.csv"
    bare.write_text("Do you encrypt backups?,\"Yes, with AES-256.\"\n"
                    "Do you allow remote work?,No\n"
                    "Is there a security awareness programme?,Yes\n", encoding="utf-8")
    wb = Workbook()
    wb.active.append(["Question", "Answer"])
    wb.active.append(["Do you scan for vulnerabilities weekly?", "Yes, with Nessus."])
    wb.save(tmp_path / "export.xlsx")
    root = write_library({})
    harvest([bare, tmp_path / "export.xlsx"], root)
    assert {(e["question"], e["answer"]) for e in entries(root)} == {
        ("Do you encrypt backups?", "Yes, with AES-256."),
        ("Do you allow remote work?", "No"),
        ("Is there a security awareness programme?", "Yes"),
        ("Do you scan for vulnerabilities weekly?", "Yes, with Nessus.")}


def test_refs_pinned_to_a_template_version_are_followed_only_there() -> None:
    from qfill.library import Answer, Library
    from qfill.matching import Matcher
    from qfill.questionnaire import QuestionRow
    from qfill.refschemes import scheme_applies, scheme_for_template

    assert scheme_for_template("HECVAT 3") == "hecvat-v3"
    assert scheme_for_template("CAIQ v4") == "caiq-v4"
    assert scheme_for_template("SIG") is None and scheme_for_template(None) is None
    assert scheme_applies("caiq", "HECVAT 4") and scheme_applies("soc2", None)
    library = Library(Path("."), (
        Answer("sso", "Does your product support single sign-on?", "Yes, SAML.", short="Yes",
               refs={"hecvat-v3": ("AAAI-01",)}),
        Answer("mfa", "Do you require MFA for administrators?", "Yes.", short="Yes"),
    ))
    row = QuestionRow("Q", 5, "Is there a documented change process?", "AAAI-01")
    matcher = Matcher(library)
    for template, followed in (("HECVAT 3", True), ("HECVAT 4", False), (None, False)):
        match = matcher.match([row], template=template)[0]
        assert (match.best is not None and match.best.via == "id") is followed, template


def test_lint_does_not_call_two_products_answers_ambiguous(
        write_library: Callable[..., Path]) -> None:
    from datetime import date

    from qfill.lint import lint_library

    same = """\
        answers:
          - id: hosting-atlas
            question: Where is customer data hosted?
            answer: In AWS eu-west-1.
            products: [atlas]
          - id: hosting-beacon
            question: Where is customer data hosted?
            answer: On the customer's own servers.
            products: [beacon]
        """
    root = write_library({"answers/hosting.yaml": same})
    result = lint_library(root, settings=Settings(), today=date(2026, 12, 1))
    assert [f.rule for f in result.findings] == []
    shared = same.replace("            products: [beacon]\n", "")
    root = write_library({"answers/hosting.yaml": shared}, root=root.parent / "shared")
    result = lint_library(root, settings=Settings(), today=date(2026, 12, 1))
    assert [f.rule for f in result.findings] == ["ambiguous-entries"]


def test_usage_errors_are_one_line(planted: Path, write_library: Callable[..., Path],
                                   run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    root = write_library({})
    outside = run_cli("harvest", planted, "-l", root, "--into", tmp_path / "elsewhere.yaml")
    assert outside.exit_code == 2
    assert outside.stderr.startswith("qfill: error: --into ")
    assert "new entries must go to a .yaml file under" in outside.stderr
    assert outside.stderr.count("\n") == 1 and not (tmp_path / "elsewhere.yaml").exists()
    product = run_cli("harvest", planted, "-l", root, "--product", "Atlas Cloud")
    assert product.exit_code == 2 and product.stderr.count("\n") == 1
    missing = run_cli("harvest", tmp_path / "nope.xlsx", "-l", root)
    assert missing.exit_code == 2 and "Traceback" not in missing.stderr
    assert list((root / "answers").iterdir()) == []


def test_into_another_file_and_the_product_in_qfill_yaml(
        tmp_path: Path, write_library: Callable[..., Path],
        run_cli: Callable[..., CliResult]) -> None:
    completed = build_completed(tmp_path / "atlas.xlsx", [
        ("P-1", "Where is customer data hosted?", None, "In AWS eu-west-1 (Ireland)."),
    ])
    root = write_library({"qfill.yaml": "product: atlas\n"})
    result = run_cli("harvest", completed, "-l", root, "--product", "atlas", "--into",
                     root / "answers/products/atlas.yaml")
    assert result.exit_code == 0, result.output
    assert entries(root, "answers/products/atlas.yaml")[0]["products"] == ["atlas"]
    blank = tmp_path / "q.csv"
    blank.write_text("Question,Answer\nWhere is customer data hosted?,\n", encoding="utf-8")
    answered = run_cli("answer", blank, "-l", root, "-o", tmp_path / "out.csv")
    assert answered.exit_code == 0, answered.output  # qfill.yaml chose atlas
    assert "In AWS eu-west-1 (Ireland)." in (tmp_path / "out.csv").read_text(encoding="utf-8")


def test_search_for_a_product_and_harvest_json_on_stdout(
        tmp_path: Path, write_library: Callable[..., Path],
        run_cli: Callable[..., CliResult]) -> None:
    import json

    completed = build_completed(tmp_path / "atlas.xlsx", [
        ("P-1", "Where is customer data hosted?", None, "In AWS eu-west-1 (Ireland)."),
    ])
    root = write_library({})
    harvested = run_cli("harvest", completed, "-l", root, "--product", "atlas", "--json")
    assert harvested.exit_code == 0, harvested.output
    assert json.loads(harvested.stdout)["new"][0]["question"] == "Where is customer data hosted?"
    found = run_cli("search", "Where is customer data hosted?", "-l", root, "--product",
                    "atlas", "--json")
    assert found.exit_code == 0, found.output
    assert "hosted" in found.stdout
    shared_only = run_cli("search", "Where is customer data hosted?", "-l", root, "--json")
    assert shared_only.exit_code == 0, shared_only.output
    assert "entries bound to products (atlas) are not used" in shared_only.stderr


def test_harvested_files_validate_against_the_answer_file_schema(
        planted: Path, write_library: Callable[..., Path]) -> None:
    import jsonschema

    from qfill.schema import answer_file_schema

    root = write_library({})
    harvest([planted], root, product="atlas")
    data = yaml.safe_load((root / "answers/harvested.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(data, answer_file_schema())
    assert all(e["products"] == ["atlas"] and e["source"] for e in data["answers"])


GOLDEN = Path(__file__).parent / "golden" / "harvest"


def test_a_sig_style_workbook_and_its_report(tmp_path: Path, write_library: Callable[..., Path],
                                             update_golden: bool) -> None:
    """SIG-style domains, sub-items and a free-text row; the text report is a golden file."""
    from openpyxl import load_workbook

    from qfill.render.harvest import render_text
    from tests.questionnaire_fixtures import build_sig

    path = build_sig(tmp_path / "sig-lite.xlsx")
    wb = load_workbook(path)
    risk, policy = wb["A. Risk Management"], wb["B. Security Policy"]
    for cell, value in (("C5", "Yes"), ("D5", "Approved by the board every year."),
                        ("C7", "Yes"), ("C8", "No"), ("D8", "See A.1"), ("C9", "Yes")):
        risk[cell] = value
    for cell, value in (("C5", "Yes"), ("C6", "Yes"), ("D6", "NA"), ("C7", "2024-05-02")):
        policy[cell] = value
    wb.save(path)
    root = write_library({})
    result = harvest([path], root)
    by_question = {e["question"]: e for e in entries(root)}
    assert by_question["Does the risk assessment program include: Identification of "
                       "threats and vulnerabilities?"]["short"] == "Yes"
    assert by_question["Is there an information security policy approved by management?"][
        "tags"] == ["security-policy"]
    assert by_question["Is there a risk assessment program that has been approved by "
                       "management?"]["tags"] == ["risk-management"]
    assert all("refs" not in e for e in entries(root))  # a SIG's version is unknown
    text = render_text(result)
    golden = GOLDEN / "sig-report.txt"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), "rerun with --update-golden and review"


def test_an_entry_in_flow_style_is_left_for_a_person_not_a_failed_harvest(
        planted: Path, write_library: Callable[..., Path]) -> None:
    flow = ("answers:\n"
            "  - {id: encryption-at-rest, question: Is customer data encrypted at rest?,\n"
            "     answer: 'Yes. All customer data is encrypted with AES-256 in our managed\n"
            "       databases.', short: 'Yes'}\n")
    root = write_library({"answers/flow.yaml": flow})
    before = (root / "answers/flow.yaml").read_bytes()
    result = harvest([planted], root)
    assert (root / "answers/flow.yaml").read_bytes() == before
    assert result.aliases == [] and len(result.new) == 6
    [note] = [n for n in result.notes if n.kind == "by-hand"]
    assert note.where == "completed.xlsx, Security row 4, completed.xlsx, Security row 8"
    assert "flow style" in note.message and "Do you encrypt customer data at rest?" \
        in note.message


def test_odd_text_is_written_so_that_it_reads_back_exactly(
        tmp_path: Path, write_library: Callable[..., Path]) -> None:
    narratives = [
        "=SUM(A1:A3) is how we count, not a formula",
        "Yes: keys # rotated 'quarterly' and \"on demand\"; see: the runbook",
        "First paragraph.\u2028Second line after a pasted line separator.",
        "Tabs\tinside and a trailing note: - dash",
        "- starts with a dash, & ampersand, * star, ! bang, % percent, @ at, ` backtick",
        "None: we use no subprocessors.",
        "A very long narrative " + "with many words that must fold cleanly " * 6 + "end.",
    ]
    topics = ["backups", "keys", "logging", "tabs", "symbols", "nulls", "folding"]
    completed = build_completed(tmp_path / "odd.xlsx", [
        (f"O-{i}", f"How do you handle {topic}?", None, text)
        for i, (topic, text) in enumerate(zip(topics, narratives, strict=True), start=1)])
    from openpyxl import load_workbook

    wb = load_workbook(completed)
    wb.active["D4"].data_type = "s"  # text that starts with "=", not a formula
    wb.save(completed)
    root = write_library({})
    harvest([completed], root)
    got = {e["question"]: e["answer"] for e in entries(root)}
    assert got["How do you handle backups?"] == narratives[0]
    assert got["How do you handle keys?"] == narratives[1]
    assert got["How do you handle logging?"] == (
        "First paragraph.\nSecond line after a pasted line separator.")
    assert got["How do you handle tabs?"] == "Tabs inside and a trailing note: - dash"
    assert got["How do you handle symbols?"] == narratives[4]
    assert got["How do you handle nulls?"] == "None: we use no subprocessors."
    assert got["How do you handle folding?"] == " ".join(narratives[6].split())
    assert len(load_library(root).answers) == 7  # and the library loads
