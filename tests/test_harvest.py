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
