"""`qfill diff` end to end: a test repository with edits, moves, additions, removals and
flips across commits, compared in every format against golden files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from diff_fixtures import GitRepo, make_git_repo

GOLDEN = Path(__file__).parent / "golden" / "diff"
Run = Callable[..., object]

ACCESS = """
owner: security@example.com
answers:
  - id: mfa-workforce
    question: Is multi-factor authentication required for all workforce access?
    aliases:
      - Do you enforce MFA for remote and administrative access?
    answer: >-
      Yes. Every employee and contractor signs in through our identity provider,
      which requires a phishing-resistant second factor.
    short: "Yes"
    evidence:
      - evidence/policies/access-control-policy.md
      - path: evidence/reports/soc2-type2-2026.pdf
        title: SOC 2 Type II report
        valid_until: 2027-09-30
    refs:
      caiq: [IAM-14.1]
    reviewed: 2026-06-01
  - id: shared-accounts
    question: Are shared or generic accounts prohibited?
    answer: Yes, shared accounts are prohibited except for break-glass access.
    short: "Yes"
    reviewed: 2026-03-01
  - id: password-policy
    question: Do you enforce a password policy?
    answer: Yes, passwords are at least 14 characters and checked against breach lists.
    short: "Yes"
"""

CRYPTO = """
owner: crypto@example.com
answers:
  - id: encryption-at-rest
    question: Is customer data encrypted at rest?
    answer: >
      Yes, with AES-256 through the cloud provider's key management service.
    short: "Yes"
    evidence:
      - path: evidence/certificates/iso27001.pdf
        valid_until: 2026-12-31
  - id: tls-versions
    question: Which TLS versions do you accept?
    answer: TLS 1.2 and 1.3 only.
  - id: legacy-export
    question: Do you support export to FTP?
    answer: "No"
    short: "No"
  - id: key-rotation
    question: How often are encryption keys rotated?
    answer: >-
      Data keys rotate every 90 days; key-encryption keys
      rotate yearly.
"""

ACCESS_HEAD = """
owner: security@example.com
answers:
  - id: mfa-workforce
    question: Is multi-factor authentication required for all workforce access?
    aliases:
      - Do you enforce MFA for remote and administrative access?
      - Is MFA | 2FA enforced for admins?
    answer: >-
      Yes. Every employee and contractor logs in through our identity provider,
      which requires a phishing-resistant second factor (FIDO2 security keys).
    short: "Yes"
    evidence:
      - path: evidence/reports/soc2-type2-2026.pdf
        title: SOC 2 Type II report
        valid_until: 2027-09-30
    refs:
      caiq: [IAM-14.1]
      sig: [H.2.1]
    reviewed: 2026-06-01
  - id: shared-accounts
    question: Are shared or generic accounts prohibited?
    answer: >-
      No. Shared accounts are allowed for break-glass access.
    short: "No"
    reviewed: 2026-11-20
"""

PASSWORDS_HEAD = """
answers:
  - id: password-policy
    question: Do you enforce a password policy?
    answer: Yes, passwords are at least 14 characters and checked against breach lists.
    short: "Yes"
    tags: [passwords]
"""

CRYPTO_HEAD = """
owner: crypto@example.com
answers:
    - id: encryption-at-rest
      question: Is customer data encrypted at rest?
      answer: "Yes, with AES-256 through the cloud provider's key management service."
      short: "Yes"
      evidence:
        - path: evidence/certificates/iso27001.pdf
          valid_until: 2027-12-31
    - id: tls-minimum-version
      question: Which TLS versions do you accept?
      answer: TLS 1.2 and 1.3 only.
    - id: key-rotation
      question: How often are encryption keys rotated?
      answer: Data keys rotate every 90 days; key-encryption keys rotate yearly.
"""

PRIVACY_HEAD = """
answers:
  - id: data-retention
    question: How long do you keep customer data after the contract ends?
    answer: "30 days, then deleted. See <script>alert(1)</script>
      [our page](javascript:alert(1)) | ask @privacy-team."
"""


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return make_git_repo(tmp_path, monkeypatch)


def rich_history(repo: GitRepo) -> None:
    """main: the library as approved; feature: one pull request changing it in every way."""
    repo.commit("library", {"library/answers/access.yaml": ACCESS,
                            "library/answers/crypto.yaml": CRYPTO,
                            "library/README.md": "not an answer file"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("edit, flip, move, rename, remove, add", {
        "library/answers/access.yaml": ACCESS_HEAD,
        "library/answers/policies/passwords.yaml": PASSWORDS_HEAD,
        "library/answers/crypto.yaml": CRYPTO_HEAD,
        "library/answers/privacy.yml": PRIVACY_HEAD,
    })
    repo.git("checkout", "-q", "main")
    repo.commit("unrelated change on main", {"README.md": "main moved on"})


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; rerun with " \
        "--update-golden and review the change"


@pytest.mark.parametrize(("fmt", "golden"), [("text", "diff.txt"), ("markdown", "diff.md"),
                                             ("json", "diff.json")])
def test_golden_pull_request_diff(git_repo: GitRepo, run_cli: Run, update_golden: bool,
                                  fmt: str, golden: str) -> None:
    rich_history(git_repo)
    result = run_cli("diff", "main...feature", "--library", git_repo.path / "library",
                     "--format", fmt)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    check_golden(golden, result.stdout, update_golden)


def test_each_change_is_reported_exactly(git_repo: GitRepo, run_cli: Run) -> None:
    rich_history(git_repo)
    result = run_cli("diff", "main...feature", "-l", git_repo.path / "library", "--format",
                     "json", "--fail-on", "risky")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["summary"] == {"added": 2, "removed": 2, "moved": 1, "changed": 3,
                               "unchanged": 1, "risks": 7}
    assert [(e["id"], e["change"], [f["field"] for f in e["fields"]], e["renamed"])
            for e in data["entries"]] == [
        ("data-retention", "added", ["question", "answer"], None),
        ("encryption-at-rest", "changed", ["evidence"], None),
        ("legacy-export", "removed", ["question", "answer", "short", "owner"], None),
        ("mfa-workforce", "changed", ["aliases", "answer", "evidence", "refs"], None),
        ("password-policy", "moved", ["tags", "owner"], None),
        ("shared-accounts", "changed", ["answer", "short", "reviewed"], None),
        ("tls-minimum-version", "added", ["question", "answer", "owner"], "tls-versions"),
        ("tls-versions", "removed", ["question", "answer", "owner"], "tls-minimum-version"),
    ]
    assert [(r["code"], r["id"], r["path"], r["line"]) for r in data["risks"]] == [
        ("short-flipped", "shared-accounts", "answers/access.yaml", 20),
        ("evidence-removed", "mfa-workforce", "answers/access.yaml", 3),
        ("answer-removed", "legacy-export", "answers/crypto.yaml", 14),
        ("answer-removed", "tls-versions", "answers/crypto.yaml", 11),
        ("missing-owner", "data-retention", "answers/privacy.yml", 2),
        ("missing-owner", "password-policy", "answers/policies/passwords.yaml", 2),
        ("not-reviewed", "mfa-workforce", "answers/access.yaml", 3),
    ]
    # key-rotation was only re-indented and re-flowed: not listed at all.
    assert "key-rotation" not in result.stdout


def test_working_tree_against_head_by_default(git_repo: GitRepo, run_cli: Run,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.commit("library", {"answers/access.yaml": ACCESS})
    git_repo.write({"answers/access.yaml": ACCESS.replace('short: "Yes"\n    reviewed: 2026-03',
                                                          'short: "No"\n    reviewed: 2026-03')})
    monkeypatch.chdir(git_repo.path)
    result = run_cli("diff")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("qfill diff: HEAD (") and lines[0].endswith(") -> working tree")
    assert "  answers/access.yaml:19: [short-flipped] shared-accounts: short Yes -> No" in lines
    assert "    short: Yes -> No" in lines


def test_fail_on(git_repo: GitRepo, run_cli: Run) -> None:
    git_repo.commit("library", {"answers/access.yaml": ACCESS})
    git_repo.commit("safe edit", {"answers/access.yaml": ACCESS.replace(
        "reviewed: 2026-03-01", "reviewed: 2026-04-01")})
    args = ("diff", "HEAD~1", "HEAD", "-l", git_repo.path)
    assert run_cli(*args, "--fail-on", "risky").exit_code == 0
    assert run_cli(*args, "--fail-on", "any").exit_code == 1
    assert run_cli(*args).exit_code == 0


def test_pure_reformatting_commit_reports_no_change(git_repo: GitRepo, run_cli: Run) -> None:
    git_repo.commit("library", {"answers/crypto.yaml": CRYPTO})
    reflowed = """
    owner: "crypto@example.com"
    answers:
        -   id: encryption-at-rest
            question: Is customer data encrypted at rest?
            answer: Yes, with AES-256 through the cloud provider's
                key management service.
            short: Yes
            evidence:
                - valid_until: 2026-12-31
                  path: evidence/certificates/iso27001.pdf
        -   id: tls-versions
            question: Which TLS versions do you accept?
            answer: |
                TLS 1.2 and 1.3 only.
        -   id: legacy-export
            question: Do you support export to FTP?
            answer: 'No'
            short: No
        -   id: key-rotation
            question: How often are encryption keys rotated?
            answer: >-
                Data keys rotate every
                90 days; key-encryption keys rotate yearly.
    """
    git_repo.commit("re-indent and re-flow", {"answers/crypto.yaml": reflowed})
    for fmt, expected in (("text", "No changes to answers (4 unchanged).\n"),
                          ("markdown", "No changes to answers (4 unchanged).\n")):
        result = run_cli("diff", "HEAD~1", "HEAD", "-l", git_repo.path, "--format", fmt,
                         "--fail-on", "any")
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith(expected)
    data = json.loads(run_cli("diff", "HEAD~1", "HEAD", "-l", git_repo.path,
                              "--format", "json").stdout)
    assert (data["entries"], data["risks"], data["summary"]["unchanged"]) == ([], [], 4)


def test_library_folder_absent_at_base_is_all_additions(git_repo: GitRepo,
                                                        run_cli: Run) -> None:
    git_repo.commit("start", {"README.md": "x"})
    git_repo.commit("add library", {"security/answers/crypto.yaml": CRYPTO})
    result = run_cli("diff", "HEAD~1", "HEAD", "-l", git_repo.path / "security",
                     "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(e["id"], e["change"]) for e in data["entries"]] == [
        ("encryption-at-rest", "added"), ("key-rotation", "added"),
        ("legacy-export", "added"), ("tls-versions", "added")]
    assert data["risks"] == []


def test_no_library_at_either_side(git_repo: GitRepo, run_cli: Run) -> None:
    git_repo.commit("start", {"README.md": "x"})
    result = run_cli("diff", "-l", git_repo.path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("qfill: error: answers: no answers/ folder at HEAD or working "
                             "tree; pass --library DIR pointing at the folder that holds "
                             "answers/\n")


def test_shallow_clone_without_base_exits_2_naming_the_fetch(git_repo: GitRepo,
                                                             run_cli: Run) -> None:
    rich_history(git_repo)
    clone = git_repo.path.parent / "ci"
    git_repo.git("clone", "-q", "--depth=1", "--branch", "feature",
                 f"file://{git_repo.path}", str(clone))
    result = run_cli("diff", "origin/main...HEAD", "-l", clone / "library")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "qfill: error: origin/main: revision not in this clone (shallow checkout); fetch it: "
        "git fetch --no-tags --depth=1 origin main:refs/remotes/origin/main\n")
    result = run_cli("diff", "HEAD~1", "-l", clone / "library")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "git fetch --unshallow" in result.stderr


def test_not_a_git_repository_exits_2(tmp_path: Path, run_cli: Run,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "lib" / "answers").mkdir(parents=True)
    result = run_cli("diff", "-l", tmp_path / "lib")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"qfill: error: {tmp_path / 'lib'}: not inside a git repository; "
                             "qfill diff compares git revisions, run it in a clone of the "
                             "library\n")


def test_broken_yaml_at_head_exits_2(git_repo: GitRepo, run_cli: Run) -> None:
    git_repo.commit("library", {"answers/access.yaml": ACCESS})
    git_repo.commit("broken", {"answers/access.yaml": ACCESS + "  - id: [\n"})
    result = run_cli("diff", "HEAD~1", "HEAD", "-l", git_repo.path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("qfill: error: answers/access.yaml:")
    assert result.stderr.endswith(" at HEAD: YAML syntax error: did not find expected node "
                                  "content; qfill diff needs both sides to load, run "
                                  "`qfill lint`\n")


def test_long_revision_with_brackets_stays_one_line(git_repo: GitRepo, run_cli: Run) -> None:
    git_repo.commit("library", {"answers/access.yaml": ACCESS})
    name = "release/[security-review]/" + "x" * 80
    result = run_cli("diff", name, "-l", git_repo.path)
    assert result.exit_code == 2
    assert result.stderr == (f"qfill: error: {name}: unknown revision or not a commit; check "
                             "the name (git branch -a, git log --oneline)\n")
    assert "Traceback" not in result.output


def test_a_range_with_a_second_revision_is_a_usage_error(git_repo: GitRepo,
                                                         run_cli: Run) -> None:
    git_repo.commit("library", {"answers/access.yaml": ACCESS})
    result = run_cli("diff", "HEAD...HEAD", "HEAD", "-l", git_repo.path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("qfill: error: HEAD...HEAD: a range already names both sides; "
                             "drop the second revision 'HEAD'\n")
