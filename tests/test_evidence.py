"""The evidence index, passage ranking, quoted drafts and their verification."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from qfill.documents import read_document
from qfill.draft_verification import verify_draft
from qfill.drafts import Draft, DraftSentence, split_sentences, stated_short
from qfill.evidence_index import DocumentCache, build_evidence_index
from qfill.grounding import Grounder, load_evidence
from qfill.library import load_library
from qfill.settings import EvidenceSettings, Settings, parse_settings
from qfill.terms import shared_analyzer
from tests.conftest import CliResult

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 5)
COMMAND = Path(__file__).resolve().parent / "draft_command_script.py"


def _pdf_writer() -> Callable[[str, str], bytes]:
    spec = importlib.util.spec_from_file_location("make_evidence_pdfs",
                                                  REPO / "examples" / "make_evidence_pdfs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    render: Callable[[str, str], bytes] = module.render_pdf
    return render


POLICY = """\
    # Access Control Policy

    | | |
    |---|---|
    | Document ID | AC-1 |

    ## 4. Authentication

    ### 4.2 Multi-factor authentication

    Multi-factor authentication is required for every workforce sign-in. SMS codes are not
    accepted as a second factor.

    - Administrators use FIDO2 security keys.
    - Break-glass accounts are sealed and monitored.

    ## 5. Access reviews

    | Scope | Frequency | Reviewer |
    |---|---|---|
    | Production | Quarterly | CISO |
"""

AI_POLICY = """\
    # AI Policy

    ## Training data

    Customer data is not used to train machine learning models. Models run in the region
    of the customer's data.
"""

ANSWERS = """\
    answers:
      - id: backups
        question: Are backups encrypted?
        answer: "Yes. Backups are encrypted with AES-256."
        short: "Yes"
"""


@pytest.fixture
def library(write_library: Callable[..., Path]) -> Path:
    return write_library({
        "answers/a.yaml": ANSWERS,
        "evidence/policies/access-control.md": POLICY,
        "evidence/policies/ai.md": AI_POLICY,
    })


# --------------------------------------------------------------------------- documents


def test_markdown_passages_keep_heading_path_and_line() -> None:
    import textwrap

    text = read_document("evidence/p.md", textwrap.dedent(POLICY).encode())
    assert text.title == "Access Control Policy"
    by_text = {b.text: b for b in text.blocks}
    mfa = next(b for b in text.blocks if b.text.startswith("Multi-factor"))
    assert mfa.headings == ("Access Control Policy", "4. Authentication",
                            "4.2 Multi-factor authentication")
    assert mfa.location == "line 11"
    assert mfa.text == ("Multi-factor authentication is required for every workforce sign-in. "
                        "SMS codes are not accepted as a second factor.")
    assert "Administrators use FIDO2 security keys." in by_text
    assert "Document ID: AC-1" in by_text
    assert "Scope: Production; Frequency: Quarterly; Reviewer: CISO" in by_text


def test_html_and_plain_text_find_headings() -> None:
    html = (b"<html><head><title>T</title><style>p{}</style></head><body>"
            b"<h1>Backup Standard</h1>\n<h2>Frequency</h2>\n<p>Backups run <b>daily</b>.</p>"
            b"<table><tr><td>RPO</td><td>15 minutes</td></tr></table></body></html>")
    blocks = read_document("evidence/b.html", html).blocks
    assert [(b.headings, b.text) for b in blocks] == [
        (("Backup Standard", "Frequency"), "Backups run daily."),
        (("Backup Standard", "Frequency"), "RPO: 15 minutes")]
    plain = b"BACKUP STANDARD\n\n1. Frequency\n\nBackups run daily\nand are kept 35 days.\n"
    (block,) = read_document("evidence/b.txt", plain).blocks
    assert block.headings == ("BACKUP STANDARD", "1. Frequency")
    assert (block.text, block.location) == ("Backups run daily and are kept 35 days.", "line 5")


def test_pdf_passages_have_page_and_headings_from_type_size() -> None:
    source = ("# Bridge letter\n\nIntro paragraph.\n\n## Representations\n\n"
              "- No material changes were made to the system.\n\n---\n\n## Next report\n\n"
              "The next report covers 2027.")
    text = read_document("evidence/r.pdf", _pdf_writer()(source, "Bridge letter"))
    assert text.title == "Bridge letter"
    assert [(b.headings, b.text, b.location) for b in text.blocks] == [
        (("Bridge letter",), "Intro paragraph.", "page 1"),
        (("Bridge letter", "Representations"),
         "No material changes were made to the system.", "page 1"),
        (("Bridge letter", "Next report"), "The next report covers 2027.", "page 2")]


def test_word_documents_read_headings_paragraphs_and_tables() -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("Vendor Policy", level=0)
    document.add_heading("Due diligence", level=1)
    document.add_paragraph("Critical vendors are reassessed every year.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Tier", "Critical"
    buffer = io.BytesIO()
    document.save(buffer)
    text = read_document("evidence/v.docx", buffer.getvalue())
    assert [(b.headings, b.text) for b in text.blocks] == [
        (("Vendor Policy", "Due diligence"), "Critical vendors are reassessed every year."),
        (("Vendor Policy", "Due diligence"), "Tier: Critical")]


def test_damaged_documents_become_notes_not_failures(write_library: Callable[..., Path]) -> None:
    root = write_library({"evidence/broken.pdf": b"%PDF-1.4 not really",
                          "evidence/latin1.txt": "caf\xe9".encode("latin-1"),
                          "evidence/ok.md": "# Fine\n\nBackups run daily.\n"})
    index = build_evidence_index(root, today=TODAY)
    assert [d.path for d in index.documents] == ["evidence/ok.md"]
    assert len(index.notes) == 2
    assert any(n.startswith("evidence/broken.pdf: cannot read the PDF") for n in index.notes)
    assert any(n.startswith("evidence/latin1.txt: not UTF-8") for n in index.notes)


def test_sentences_are_split_verbatim() -> None:
    assert split_sentences("We use TLS 1.2, e.g. for APIs. Keys rotate yearly (see sec. 4). "
                           "Done.\nRPO: 15 minutes") == [
        "We use TLS 1.2, e.g. for APIs.", "Keys rotate yearly (see sec. 4).", "Done.",
        "RPO: 15 minutes"]


# --------------------------------------------------------------------------- the index


def test_index_is_cached_by_content_and_rereads_only_changed_files(
        library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qfill.evidence_index as evidence_index

    read: list[str] = []
    real = evidence_index.read_document

    def counting(name: str, data: bytes):  # type: ignore[no-untyped-def]
        read.append(name)
        return real(name, data)

    monkeypatch.setattr(evidence_index, "read_document", counting)
    cache = DocumentCache(tmp_path / "cache.sqlite3")
    first = build_evidence_index(library, today=TODAY, cache=cache)
    assert sorted(read) == ["evidence/policies/access-control.md", "evidence/policies/ai.md"]
    read.clear()
    again = build_evidence_index(library, today=TODAY, cache=cache)
    assert read == [] and again.passages == first.passages
    (library / "evidence/policies/ai.md").write_text("# AI Policy\n\nNo AI is used.\n")
    changed = build_evidence_index(library, today=TODAY, cache=cache)
    assert read == ["evidence/policies/ai.md"]
    assert "No AI is used." in [p.text for p in changed.passages]


def test_expired_evidence_is_not_indexed_ranked_or_cited(
        write_library: Callable[..., Path]) -> None:
    root = write_library({
        "answers/a.yaml": """\
            answers:
              - id: ai-training
                question: Is customer data used to train models?
                answer: "No."
                evidence:
                  - path: evidence/policies/ai.md
                    valid_until: 2026-01-31
        """,
        "evidence/policies/ai.md": AI_POLICY,
        "evidence/policies/access-control.md": POLICY})
    settings = Settings()
    index = load_evidence(root, load_library(root), settings, today=TODAY)
    assert index.expired == {"evidence/policies/ai.md": date(2026, 1, 31)}
    assert all(p.path != "evidence/policies/ai.md" for p in index.passages)
    found = Grounder(index, settings, root).ground(
        "Is customer data used to train machine learning models?", draft=True)
    assert all(r.passage.path != "evidence/policies/ai.md" for r in found.passages)
    assert found.draft is None or "evidence/policies/ai.md" not in found.draft.paths
    # A draft that cites it anyway (from elsewhere) is refused, naming the date.
    still = load_evidence(root, load_library(root), settings, today=date(2026, 1, 1))
    passage = next(p for p in still.passages if p.path == "evidence/policies/ai.md")
    draft = Draft((DraftSentence(passage.text.split(". ")[0] + ".", (passage,)),))
    check = verify_draft(draft, index, shared_analyzer())
    assert not check.accepted
    assert check.problems == ("sentence 1 'Customer data is not used to train machine learning "
                              "models.' cites evidence/policies/ai.md, which expired on "
                              "2026-01-31",)


def test_settings_give_expiry_to_documents_no_answer_cites(library: Path) -> None:
    (library / "qfill.yaml").write_text(
        "evidence:\n  valid_until:\n    evidence/policies/ai.md: 2026-06-30\n  passages: 2\n")
    from qfill.settings import load_settings

    settings = load_settings(library)
    assert settings.evidence.passages == 2
    index = load_evidence(library, None, settings, today=TODAY)
    assert list(index.expired) == ["evidence/policies/ai.md"]


@pytest.mark.parametrize(("text", "message"), [
    ("evidence: {passages: 99}", "qfill.yaml:1:22: evidence.passages must be a whole number"),
    ("evidence: {draft_command: ''}", "evidence.draft_command is empty"),
    ("evidence: {valid_until: {a.pdf: soon}}", "evidence.valid_until.a.pdf must be a date"),
    ("evidence: {passage: 3}", "unknown key 'passage' in evidence; did you mean 'passages'?"),
])
def test_bad_evidence_settings_are_refused(text: str, message: str) -> None:
    from qfill.errors import SettingsError

    with pytest.raises(SettingsError, match=message.replace(".", r"\.").replace("?", r"\?")):
        parse_settings(text.encode())


def test_draft_command_setting_is_a_program_and_arguments() -> None:
    settings = parse_settings(b"evidence:\n  draft_command: python3 'my draft.py' --fast\n")
    assert settings.evidence.draft_command == ("python3", "my draft.py", "--fast")
    listed = parse_settings(b"evidence:\n  draft_command: [python3, x.py]\n")
    assert listed.evidence.draft_command == ("python3", "x.py")


# --------------------------------------------------------------------------- ranking, drafts


def test_passages_rank_by_wording_through_the_thesaurus(library: Path) -> None:
    index = load_evidence(library, None, Settings(), today=TODAY)
    found = Grounder(index, Settings(), library).ground(
        "Do you enforce MFA for employees?", draft=False)
    best = found.passages[0]
    assert best.passage.heading_path == ("Access Control Policy > 4. Authentication > "
                                         "4.2 Multi-factor authentication")
    assert best.passage.location == "line 11"
    assert best.score > 0.5
    assert found.draft is None  # not asked for


def test_quoted_draft_is_verbatim_cited_and_carries_no_yes(library: Path) -> None:
    index = load_evidence(library, None, Settings(), today=TODAY)
    found = Grounder(index, Settings(), library).ground(
        "Is multi-factor authentication required for workforce sign-in?", draft=True)
    assert found.draft is not None
    draft = found.draft
    assert draft.origin == "quoted" and draft.short is None
    assert draft.sentences[0].text == ("Multi-factor authentication is required for every "
                                       "workforce sign-in.")
    for sentence in draft.sentences:
        (passage,) = sentence.citations
        assert sentence.text in passage.text
        assert passage.path == "evidence/policies/access-control.md"
    assert verify_draft(draft, index, shared_analyzer()).accepted


def test_yes_no_only_when_a_sentence_states_it_outright() -> None:
    assert stated_short(["Yes. All data is encrypted."]) == "Yes"
    assert stated_short(["No, we do not."]) == "No"
    assert stated_short(["All data is encrypted."]) is None
    assert stated_short(["Yes, daily.", "No, never."]) is None
    assert stated_short(["Nobody may share accounts."]) is None


def test_a_draft_sentence_not_in_its_passage_is_refused(library: Path) -> None:
    index = load_evidence(library, None, Settings(), today=TODAY)
    passage = next(p for p in index.passages if p.text.startswith("Multi-factor"))
    quoted = "Multi-factor authentication is required for every workforce sign-in."
    edited = "Multi-factor authentication is required for every sign-in, customers included."
    good = Draft((DraftSentence(quoted, (passage,)),))
    bad = Draft((DraftSentence(quoted, (passage,)), DraftSentence(edited, (passage,))))
    analyzer = shared_analyzer()
    assert verify_draft(good, index, analyzer).accepted
    check = verify_draft(bad, index, analyzer)
    assert check.draft is None
    assert check.problems == (
        "sentence 2 'Multi-factor authentication is required for every sign-in, customers "
        "included.' is not in evidence/policies/access-control.md, Access Control Policy > "
        "4. Authentication > 4.2 Multi-factor authentication, line 11",)
    missing = Draft((DraftSentence(quoted, (passage,)),))
    (library / "evidence/policies/access-control.md").unlink()
    gone = load_evidence(library, None, Settings(), today=TODAY)
    assert verify_draft(missing, gone, analyzer).problems == (
        f"sentence 1 {quoted!r} cites evidence/policies/access-control.md, which is not in "
        "evidence/ (or cannot be read)",)


def _command_settings(mode: str) -> Settings:
    return Settings(evidence=EvidenceSettings(draft_command=(sys.executable, str(COMMAND), mode)))


def test_command_draft_supported_by_its_passage_is_kept(library: Path) -> None:
    settings = _command_settings("reword")
    index = load_evidence(library, None, settings, today=TODAY)
    found = Grounder(index, settings, library).ground(
        "Is customer data used to train machine learning models?", draft=True)
    assert found.refused == ()
    assert found.draft is not None and found.draft.origin == "command"
    assert found.draft.text == ("We confirm that customer data is not used to train machine "
                                "learning models.")
    assert found.draft.paths == ("evidence/policies/ai.md",)
    # The command said "Yes"; no cited sentence does, so the draft carries none.
    assert found.draft.short is None
    assert found.notes == ('dropped the draft\'s "Yes": no cited sentence states it',)


@pytest.mark.parametrize(("mode", "problem"), [
    ("invent", "sentence 1 'Customer data is not used to train machine learning models and "
     "every customer...' is not supported by evidence/policies/ai.md, AI Policy > Training "
     "data, line 5: the passage does not say 'customer', 'gets', 'dedicated', 'HSM'"),
    ("flip", "sentence 1 'Customer data is used to train machine learning models.' is not "
     "supported by evidence/policies/ai.md, AI Policy > Training data, line 5: it negates "
     "differently from the passage"),
])
def test_command_draft_not_supported_is_refused_naming_the_sentence(
        library: Path, mode: str, problem: str) -> None:
    settings = _command_settings(mode)
    index = load_evidence(library, None, settings, today=TODAY)
    found = Grounder(index, settings, library).ground(
        "Is customer data used to train machine learning models?", draft=True)
    command = settings.evidence.draft_command[0]
    assert found.refused == (f"draft from {command} refused: {problem}",)
    # What a person sees instead is qfill's own quotation, never the refused text.
    assert found.draft is not None and found.draft.origin == "quoted"
    assert found.draft.text == "Customer data is not used to train machine learning models."


def test_a_failing_command_is_reported_and_quotation_still_drafts(library: Path) -> None:
    settings = _command_settings("fail")
    index = load_evidence(library, None, settings, today=TODAY)
    found = Grounder(index, settings, library).ground(
        "Is customer data used to train machine learning models?", draft=True)
    assert found.refused == (f"evidence.draft_command: {sys.executable} exited with 3: model "
                             "not loaded",)
    assert found.draft is not None and found.draft.origin == "quoted"


# --------------------------------------------------------------------------- the sample library


def test_sample_library_evidence_has_pdf_and_markdown_with_headings() -> None:
    index = build_evidence_index(REPO, today=TODAY)
    suffixes = {Path(d.path).suffix for d in index.documents}
    assert {".md", ".pdf"} <= suffixes
    letter = index.document("evidence/reports/soc2-bridge-letter-2026-11.pdf")
    assert letter is not None and index.notes == ()
    passage = next(p for p in letter.passages if "no material changes to the design" in p.text)
    assert passage.heading_path == ("SOC 2 bridge letter, 2026-10-01 to 2026-11-30 > "
                                    "Management representations")
    assert passage.location == "page 1"


def test_sample_pdfs_are_reproducible_from_their_script() -> None:
    spec = importlib.util.spec_from_file_location("make_evidence_pdfs",
                                                  REPO / "examples" / "make_evidence_pdfs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, source in module.DOCUMENTS.items():
        title = source.splitlines()[0].removeprefix("# ")
        assert module.render_pdf(source, title) == (REPO / "evidence/reports" / name).read_bytes()


# --------------------------------------------------------------------------- the command line


def test_search_evidence_shows_passages_and_the_draft(run_cli: Callable[..., CliResult],
                                                      library: Path) -> None:
    result = run_cli("search", "--evidence", "Is MFA required for every workforce sign-in?",
                     "-l", library, "--json", "--today", "2026-12-05")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passages"][0] == {
        "path": "evidence/policies/access-control.md", "title": "Access Control Policy",
        "headings": ["Access Control Policy", "4. Authentication",
                     "4.2 Multi-factor authentication"],
        "location": "line 11",
        "excerpt": "Multi-factor authentication is required for every workforce sign-in. SMS "
                   "codes are not accepted as a second factor.",
        "score": data["passages"][0]["score"], "rank": 1, "relevance": 1.0}
    assert data["draft"]["text"] == ("Multi-factor authentication is required for every "
                                     "workforce sign-in.")
    assert data["draft"]["short"] is None
    assert data["draft"]["sentences"][0]["citations"] == [{
        "path": "evidence/policies/access-control.md",
        "heading_path": "Access Control Policy > 4. Authentication > 4.2 Multi-factor "
                        "authentication",
        "location": "line 11"}]
    table = run_cli("search", "--evidence", "Is MFA required for every workforce sign-in?",
                    "-l", library, "--today", "2026-12-05")
    assert table.exit_code == 0
    assert table.stdout.startswith(
        "1. evidence/policies/access-control.md, line 11 (relevance 1.00, covers ")
    assert table.stdout.splitlines()[1:3] == [
        "   Access Control Policy > 4. Authentication > 4.2 Multi-factor authentication",
        "   Multi-factor authentication is required for every workforce sign-in. SMS codes are "
        "not accepted as a second factor."]
    assert table.stdout.endswith(
        "draft (quoted, no Yes/No stated):\n"
        "  \u201cMulti-factor authentication is required for every workforce sign-in.\u201d "
        "[evidence/policies/access-control.md, line 11]\n")


def test_a_pdf_with_too_many_pages_is_a_note(write_library: Callable[..., Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import qfill.documents as documents

    monkeypatch.setattr(documents, "MAX_PDF_PAGES", 1)
    pdf = _pdf_writer()("# Long\n\nPage one.\n\n---\n\nPage two.", "Long")
    root = write_library({"evidence/long.pdf": pdf})
    index = build_evidence_index(root, today=TODAY)
    assert index.documents == ()
    assert index.notes == ("evidence/long.pdf: 2 pages, over the 1-page limit; split it; "
                           "not indexed",)


def test_ranking_by_meaning_finds_a_passage_that_shares_no_word(
        write_library: Callable[..., Path]) -> None:
    pytest.importorskip("onnxruntime", reason="the semantic extra is not installed")
    from qfill.settings import MatchSettings

    root = write_library({"evidence/change.md": """\
        # Change Management Policy

        ## Emergencies

        Emergency changes may be deployed with one approval from the on-call lead and are
        reviewed within one business day.

        ## Releases

        Releases ship every Tuesday after the product review meeting.
    """})
    question = "How do you handle an urgent hotfix?"
    index = load_evidence(root, None, Settings(), today=TODAY)
    by_wording = Grounder(index, Settings(), root).ground(question, draft=False)
    assert by_wording.passages == ()  # no word in common
    meaning = Settings(matching=MatchSettings(semantic=True))
    by_meaning = Grounder(index, meaning, root).ground(question, draft=False).passages
    # Shown only when it also covers enough of the question's words: it does not here.
    assert by_meaning == ()
    ranked = Grounder(index, meaning, root).ranker.rank(question, 2)
    assert [r.passage.headings[-1] for r in ranked] == ["Emergencies", "Releases"]


def test_an_unusable_document_cache_costs_speed_not_the_run(library: Path,
                                                            tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    cache = DocumentCache(blocker / "documents.sqlite3")
    index = build_evidence_index(library, today=TODAY, cache=cache)
    assert len(index.documents) == 2 and index.notes == ()


def test_search_evidence_lists_passages_in_the_order_of_the_number_it_shows_first(
        run_cli: Callable[..., CliResult]) -> None:
    # On the sample library this question's best passage covers fewer of its words (37%)
    # than the next (51%): coverage is shown, but the order is the relevance that ranked.
    question = "How long are audit logs retained?"
    found = run_cli("search", "--evidence", question, "-l", REPO, "-k", "5", "--json",
                    "--today", "2026-12-05")
    assert found.exit_code == 0, found.output
    passages = json.loads(found.stdout)["passages"]
    relevance = [p["relevance"] for p in passages]
    assert [p["rank"] for p in passages] == list(range(1, len(passages) + 1))
    assert relevance[0] == 1.0 and relevance == sorted(relevance, reverse=True)
    coverage = [p["score"] for p in passages]
    assert coverage != sorted(coverage, reverse=True)  # why coverage cannot be the order
    table = run_cli("search", "--evidence", question, "-l", REPO, "-k", "5",
                    "--today", "2026-12-05")
    shown = re.findall(r"^\d+\. .* \(relevance (\d\.\d\d), covers (\d+)% of the question\)$",
                       table.stdout, re.MULTILINE)
    assert [float(r) for r, _ in shown] == relevance
    assert [int(c) for _, c in shown] == [round(100 * c) for c in coverage]
