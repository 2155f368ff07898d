"""Reading a library at a git revision: from objects, in sub-folders, in shallow clones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from diff_fixtures import GitRepo, clean_git_env, make_git_repo

from qfill.errors import LibraryError, RevisionError, UsageError
from qfill.gitrev import WORKING_TREE, LibraryRepository, Revision, git_environment

ONE = """
answers:
  - id: one
    question: One?
    answer: first
"""


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return make_git_repo(tmp_path, monkeypatch)


def repository(path: Path) -> LibraryRepository:
    return LibraryRepository(path, clean_git_env())


def test_defaults_compare_head_with_the_working_tree(git_repo: GitRepo) -> None:
    head = git_repo.commit("one", {"answers/one.yaml": ONE})
    base, work = repository(git_repo.path).resolve(None, None)
    assert base == Revision("HEAD", head)
    assert work == Revision(WORKING_TREE) and work.is_working_tree


def test_reads_git_objects_without_touching_the_checkout(git_repo: GitRepo) -> None:
    first = git_repo.commit("one", {"answers/one.yaml": ONE, "answers/notes.txt": "x"})
    git_repo.commit("two", {"answers/one.yaml": ONE.replace("first", "second"),
                            "answers/sub/two.yml": ONE.replace("one", "two")})
    (git_repo.path / "answers" / "one.yaml").write_text("edited on disk", encoding="utf-8")
    repo = repository(git_repo.path)

    old = repo.read(Revision("main~1", first))
    assert [(f.path, f.data.decode()) for f in old.files] == [
        ("answers/one.yaml", ONE.lstrip("\n"))]
    new = repo.read(Revision("main", git_repo.git("rev-parse", "main")))
    assert [f.path for f in new.files] == ["answers/one.yaml", "answers/sub/two.yml"]
    assert b"second" in new.files[0].data
    disk = repo.read(Revision(WORKING_TREE))
    assert disk.files[0].data == b"edited on disk"
    # Nothing was checked out: the edit is still there and HEAD did not move.
    assert (git_repo.path / "answers" / "one.yaml").read_text() == "edited on disk"
    assert git_repo.git("status", "--porcelain") == "M answers/one.yaml"


def test_library_in_a_sub_folder_reads_only_its_answers(git_repo: GitRepo) -> None:
    commit = git_repo.commit("two libraries", {
        "security/library/answers/a b é.yaml": ONE,
        "security/library/answers/same.yaml": ONE,  # identical blob, read twice
        "security/library/evidence/x.yaml": ONE,
        "answers/top.yaml": ONE,
    })
    repo = repository(git_repo.path / "security" / "library")
    assert repo.prefix == "security/library"
    assert repo.answers_folder == "security/library/answers"
    snapshot = repo.read(Revision("HEAD", commit))
    assert [f.path for f in snapshot.files] == ["answers/a b é.yaml", "answers/same.yaml"]
    assert snapshot.files[0].data == snapshot.files[1].data == ONE.lstrip("\n").encode()


def test_a_library_folder_absent_at_a_revision_is_empty(git_repo: GitRepo) -> None:
    before = git_repo.commit("readme only", {"README.md": "hello"})
    git_repo.commit("library", {"lib/answers/one.yaml": ONE})
    snapshot = repository(git_repo.path / "lib").read(Revision("HEAD~1", before))
    assert snapshot.files == () and not snapshot.exists


def test_symbolic_links_in_the_tree_are_refused_not_followed(git_repo: GitRepo) -> None:
    # `answer` and `lint` refuse a linked answer file, so a revision holding one does not
    # make a library: skipping it would show the reviewer "no change" for a new answer.
    git_repo.write({"answers/one.yaml": ONE})
    os.symlink("/etc/passwd", git_repo.path / "answers" / "link.yaml")
    commit = git_repo.commit("link")
    with pytest.raises(LibraryError, match=r"^answers/link.yaml: a symbolic link at HEAD"):
        repository(git_repo.path).read(Revision("HEAD", commit))
    with pytest.raises(LibraryError, match=r"^answers/link.yaml: a symbolic link"):
        repository(git_repo.path).read(Revision(WORKING_TREE))


def test_three_dots_compare_the_merge_base_with_the_branch(git_repo: GitRepo) -> None:
    root = git_repo.commit("root", {"answers/one.yaml": ONE})
    git_repo.git("checkout", "-q", "-b", "feature")
    feature = git_repo.commit("feature work", {"answers/two.yaml": ONE.replace("one", "two")})
    git_repo.git("checkout", "-q", "main")
    main = git_repo.commit("main moved on", {"answers/three.yaml": ONE.replace("one", "3")})
    repo = repository(git_repo.path)

    assert repo.resolve("main...feature", None) == (
        Revision("main...feature", root), Revision("feature", feature))
    assert repo.resolve("main..feature", None) == (
        Revision("main", main), Revision("feature", feature))
    assert repo.resolve("main", "feature") == (
        Revision("main", main), Revision("feature", feature))
    # An empty side is HEAD (main is checked out), as in git.
    assert repo.resolve("feature...", None) == (
        Revision("feature...", root), Revision("HEAD", main))


def test_a_range_and_a_second_revision_contradict(git_repo: GitRepo) -> None:
    git_repo.commit("root", {"answers/one.yaml": ONE})
    with pytest.raises(UsageError, match=r"a range already names both sides"):
        repository(git_repo.path).resolve("HEAD..HEAD", "HEAD")


@pytest.mark.parametrize("name", ["--output=/tmp/x", "", "a\nb"])
def test_option_like_revisions_are_refused(git_repo: GitRepo, name: str) -> None:
    git_repo.commit("root", {"answers/one.yaml": ONE})
    with pytest.raises(UsageError, match="not a revision name"):
        repository(git_repo.path).resolve(name, None)


def test_unknown_revision_in_a_full_clone(git_repo: GitRepo) -> None:
    git_repo.commit("root", {"answers/one.yaml": ONE})
    with pytest.raises(RevisionError) as caught:
        repository(git_repo.path).resolve("no-such-branch", None)
    assert str(caught.value) == ("no-such-branch: unknown revision or not a commit; check "
                                 "the name (git branch -a, git log --oneline)")


def test_repository_without_commits(git_repo: GitRepo) -> None:
    git_repo.write({"answers/one.yaml": ONE})
    with pytest.raises(RevisionError, match=r"^HEAD: the repository has no commits yet"):
        repository(git_repo.path).resolve(None, None)


@pytest.fixture
def shallow_clone(git_repo: GitRepo, tmp_path: Path) -> GitRepo:
    """A depth-1 clone of main; the origin also has a branch `feature` not fetched."""
    git_repo.commit("root", {"answers/one.yaml": ONE})
    git_repo.commit("second", {"answers/two.yaml": ONE.replace("one", "two")})
    git_repo.git("branch", "feature", "HEAD~1")
    git_repo.git("clone", "-q", "--depth=1", f"file://{git_repo.path}", str(tmp_path / "ci"),
                 cwd=tmp_path)
    clone = GitRepo.__new__(GitRepo)
    clone.path, clone.commits = tmp_path / "ci", git_repo.commits
    return clone


def test_shallow_clone_missing_history_names_the_fetch(shallow_clone: GitRepo) -> None:
    repo = repository(shallow_clone.path)
    with pytest.raises(RevisionError) as caught:
        repo.resolve("HEAD~1", None)
    assert str(caught.value) == (
        "HEAD~1: revision not in this clone (shallow checkout); fetch the history: "
        "git fetch --unshallow (in GitHub Actions: actions/checkout with fetch-depth: 0)")
    with pytest.raises(RevisionError) as caught:
        repo.resolve("origin/feature...HEAD", None)
    assert str(caught.value) == (
        "origin/feature: revision not in this clone (shallow checkout); fetch it: "
        "git fetch --no-tags --depth=1 origin feature:refs/remotes/origin/feature")


def test_shallow_clone_without_a_merge_base(shallow_clone: GitRepo) -> None:
    # The fetch the message above names.
    shallow_clone.git("fetch", "-q", "--no-tags", "--depth=1", "origin",
                      "feature:refs/remotes/origin/feature")
    repo = repository(shallow_clone.path)
    with pytest.raises(RevisionError) as caught:
        repo.resolve("origin/feature...HEAD", None)
    assert str(caught.value).startswith(
        "origin/feature...HEAD: no common ancestor in this shallow clone; fetch the history: "
        "git fetch --unshallow")
    # Two dots need no common history: the fetched tip compares directly.
    base, head = repo.resolve("origin/feature..HEAD", None)
    assert [f.path for f in repo.read(base).files] == ["answers/one.yaml"]
    assert [f.path for f in repo.read(head).files] == ["answers/one.yaml", "answers/two.yaml"]


def test_not_a_git_repository(tmp_path: Path) -> None:
    env = clean_git_env()
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    (tmp_path / "lib" / "answers").mkdir(parents=True)
    with pytest.raises(RevisionError, match=r"lib: not inside a git repository; qfill diff "
                       "compares git revisions"):
        LibraryRepository(tmp_path / "lib", env)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to give the repository to another user")
def test_repository_owned_by_another_user(git_repo: GitRepo) -> None:
    git_repo.commit("root", {"answers/one.yaml": ONE})
    for path in [git_repo.path, *git_repo.path.rglob("*")]:
        os.lchown(path, 65534, 65534)
    with pytest.raises(RevisionError) as caught:
        repository(git_repo.path)
    assert str(caught.value) == (f"{git_repo.path}: git refuses a repository owned by another "
                                 "user; trust it: git config --global --add safe.directory "
                                 f"{git_repo.path}")


def test_missing_library_folder(tmp_path: Path) -> None:
    with pytest.raises(RevisionError, match="library folder not found"):
        LibraryRepository(tmp_path / "nowhere", clean_git_env())


def test_git_missing_on_path(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    with pytest.raises(RevisionError, match=r"^git: not found on PATH; install git"):
        LibraryRepository(tmp_path, env)


def test_a_git_dir_from_the_environment_is_ignored(git_repo: GitRepo, tmp_path: Path) -> None:
    commit = git_repo.commit("root", {"answers/one.yaml": ONE})
    other = GitRepo(tmp_path / "other")
    other.commit("other", {"answers/zzz.yaml": ONE})
    env = {**clean_git_env(), "GIT_DIR": str(other.path / ".git"),
           "GIT_WORK_TREE": str(other.path), "GIT_INDEX_FILE": str(other.path / "x")}
    repo = LibraryRepository(git_repo.path, env)
    assert repo.top.resolve() == git_repo.path.resolve()
    assert [f.path for f in repo.read(Revision("HEAD", commit)).files] == ["answers/one.yaml"]


def test_git_environment_keeps_only_harmless_git_variables() -> None:
    env = git_environment({"PATH": "/bin", "GIT_DIR": "/x", "GIT_SSH_COMMAND": "ssh",
                           "GIT_CONFIG_KEY_0": "a", "GIT_WORK_TREE": "/y", "HOME": "/h"})
    assert env["PATH"] == "/bin" and env["HOME"] == "/h"
    assert "GIT_DIR" not in env and "GIT_WORK_TREE" not in env
    assert env["GIT_SSH_COMMAND"] == "ssh" and env["GIT_CONFIG_KEY_0"] == "a"
    assert env["LC_ALL"] == "C" and env["GIT_TERMINAL_PROMPT"] == "0"
