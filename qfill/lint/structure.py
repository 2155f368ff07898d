"""Rules the loader finds while reading a file: YAML, keys, types, ids.

The checks themselves live in :mod:`qfill.library` (driven by its schema tables), so
loading for ``qfill answer`` and linting can never disagree; each rule here documents one
kind of finding and hands the loader's findings on.
"""

from __future__ import annotations

from collections.abc import Iterable

from qfill.findings import Severity
from qfill.lint.registry import LintContext, Problem, rule


@rule("yaml-syntax")
def yaml_syntax(ctx: LintContext) -> Iterable[Problem]:
    """A file that is not valid YAML.

    Nothing else in the file can be checked until it parses. The position is where the
    parser gave up: look there and just above for an unclosed quote or bracket, a tab in
    the indentation, or a ``key: value: more`` line that needs quotes.

    PASS::

        answers:
          - id: mfa-workforce
            question: "Is MFA required: for all staff?"
            answer: Yes.

    FAIL::

        answers:
          - id: mfa-workforce
            question: Is MFA required: for all staff?
            answer: Yes.
    """
    return ctx.from_loader("yaml-syntax")


@rule("encoding")
def encoding(ctx: LintContext) -> Iterable[Problem]:
    """A file that is not UTF-8 text.

    Answer files are UTF-8 (the contract). A file saved as Latin-1 or UTF-16 by an
    editor would turn accented letters into garbage in a customer's spreadsheet. Save
    the file as UTF-8; the position is the first byte that is not.

    PASS: the file saved as UTF-8 (``Sécurité`` is the bytes ``S\\xc3\\xa9...``).

    FAIL: the same file saved as Latin-1 (``Sécurité`` is ``S\\xe9...``).
    """
    return ctx.from_loader("encoding")


@rule("yaml-tag")
def yaml_tag(ctx: LintContext) -> Iterable[Problem]:
    """A value with a YAML tag such as ``!!python/object``.

    Answer files hold plain text, lists and mappings. A tag is either a mistake or an
    attempt to make a YAML loader run code; qfill never constructs tagged values.

    PASS::

        answers:
          - id: backups
            question: Are backups encrypted?
            answer: Yes, with AES-256.

    FAIL::

        answers:
          - id: backups
            question: Are backups encrypted?
            answer: !!python/name:os.system ""
    """
    return ctx.from_loader("yaml-tag")


@rule("yaml-too-complex")
def yaml_too_complex(ctx: LintContext) -> Iterable[Problem]:
    """A file whose aliases or nesting expand beyond what an answer file needs.

    YAML aliases (``*name``) can make a few lines expand into billions of values (the
    "billion laughs" attack). qfill stops counting at 200,000 values. Write the values
    out instead of using aliases.

    PASS::

        answers:
          - id: tags
            question: Which tags apply?
            answer: Many.
            tags: [a, b]

    FAIL::

        a: &a [x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
        e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
        answers: []
    """
    return ctx.from_loader("yaml-too-complex")


@rule("file-too-large")
def file_too_large(ctx: LintContext) -> Iterable[Problem]:
    """An answer file over 8 MiB.

    No real answer file comes close; a file that size is a mistake (a pasted binary, a
    generated dump) or hostile. Split it into several files under ``answers/``.

    PASS: ``answers/access-control.yaml`` of a few hundred lines.

    FAIL: ``answers/everything.yaml`` of 9 MB.
    """
    return ctx.from_loader("file-too-large")


@rule("unreadable")
def unreadable(ctx: LintContext) -> Iterable[Problem]:
    """An answer file, or a folder under ``answers/``, that cannot be read at all.

    Permissions or a broken disk. A folder that cannot be listed is reported too: its
    answers would otherwise be missing without a word.

    PASS: a file the user running ``qfill lint`` can read.

    FAIL: ``chmod 000 answers/iam.yaml`` or ``chmod 000 answers/team``.
    """
    return ctx.from_loader("unreadable")


@rule("not-a-regular-file")
def not_a_regular_file(ctx: LintContext) -> Iterable[Problem]:
    """A symbolic link or special file where an answer file belongs.

    The library is what git stores and a pull request shows. For a link, git stores and a
    reviewer sees only the target's path, while ``qfill answer`` would read the answers it
    leads to (perhaps outside the library); so links under ``answers/`` (to files or to
    folders), pipes and devices are refused. Put the file itself in ``answers/``.

    PASS: ``answers/iam.yaml``, a regular file.

    FAIL: ``answers/extra.yaml -> ../evidence/notes.yaml``.
    """
    return ctx.from_loader("not-a-regular-file")


@rule("duplicate-key")
def duplicate_key(ctx: LintContext) -> Iterable[Problem]:
    """A key given twice in one mapping.

    Common YAML loaders keep the last value silently, so one of the two answers (or
    ids, or evidence lists) would vanish without a word. Remove or merge one of them;
    the message says where the first one is.

    PASS::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.

    FAIL::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.
            answer: No.
    """
    return ctx.from_loader("duplicate-key")


@rule("unknown-key")
def unknown_key(ctx: LintContext) -> Iterable[Problem]:
    """A key the answer-file format does not define (usually a typo).

    A misspelt key (``alias`` for ``aliases``, ``reviewd`` for ``reviewed``) would be
    ignored silently by a lenient reader, and the alias or date with it. The message
    suggests the nearest known key.

    PASS::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            aliases: [Do you enforce 2FA?]
            answer: Yes, for every account.

    FAIL::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            alias: [Do you enforce 2FA?]
            answer: Yes, for every account.
    """
    return ctx.from_loader("unknown-key")


@rule("missing-key")
def missing_key(ctx: LintContext) -> Iterable[Problem]:
    """A key the format requires is absent: ``answers`` in a file; ``id``, ``question``
    or ``answer`` in an entry; ``path`` or ``url`` in an evidence mapping.

    PASS::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.

    FAIL::

        answers:
          - id: mfa-workforce
            answer: Yes, for every account.
    """
    return ctx.from_loader("missing-key")


@rule("wrong-type")
def wrong_type(ctx: LintContext) -> Iterable[Problem]:
    """A value of the wrong kind: a list where text belongs, a date that is not
    ``YYYY-MM-DD``, a review period that is not a whole number of days.

    PASS::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.
            reviewed: 2026-06-01

    FAIL::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.
            reviewed: June 2026
    """
    return ctx.from_loader("wrong-type")


@rule("invalid-id")
def invalid_id(ctx: LintContext) -> Iterable[Problem]:
    """An id that is not lower-case letters, digits and hyphens (``[a-z0-9][a-z0-9-]*``).

    Ids appear in reports, review files, commit messages and shell commands; a stable
    plain form keeps them easy to type and grep. The message suggests a valid id.

    PASS::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.

    FAIL::

        answers:
          - id: MFA Workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.
    """
    return ctx.from_loader("invalid-id")


@rule("duplicate-id")
def duplicate_id(ctx: LintContext) -> Iterable[Problem]:
    """Two entries with one id, in one file or across files.

    Reports, review files and ``refs`` name answers by id, so each must be unique in the
    whole library. Rename one; the message says where the first one is.

    PASS::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.
        # file: answers/customers.yaml
        answers:
          - id: mfa-customers
            question: Can customers turn on MFA?
            answer: Yes, in their account settings.

    FAIL::

        answers:
          - id: mfa-workforce
            question: Is MFA required for all staff?
            answer: Yes, for every account.
        # file: answers/customers.yaml
        answers:
          - id: mfa-workforce
            question: Can customers turn on MFA?
            answer: Yes, in their account settings.
    """
    return ctx.from_loader("duplicate-id")


@rule("invalid-short")
def invalid_short(ctx: LintContext) -> Iterable[Problem]:
    """A ``short`` that is not ``"Yes"``, ``"No"`` or ``"N/A"``.

    ``short`` fills yes/no columns; qfill maps the three values to each spreadsheet's
    own spelling ("Y", a dropdown's choices). Anything else cannot be mapped. Put nuance
    in ``answer`` instead.

    PASS::

        answers:
          - id: pen-test
            question: Do you run annual penetration tests?
            answer: Yes, by an external firm every year.
            short: "Yes"

    FAIL::

        answers:
          - id: pen-test
            question: Do you run annual penetration tests?
            answer: Yes, by an external firm every year.
            short: Partially
    """
    return ctx.from_loader("invalid-short")


@rule("empty-answer")
def empty_answer(ctx: LintContext) -> Iterable[Problem]:
    """An entry whose ``answer`` is empty or only spaces.

    An empty answer would be written into a customer's questionnaire as a blank cell
    that looks answered to qfill. Write the approved answer, or remove the entry.

    PASS::

        answers:
          - id: dpo
            question: Have you appointed a data protection officer?
            answer: Yes, reachable at dpo@example.com.

    FAIL::

        answers:
          - id: dpo
            question: Have you appointed a data protection officer?
            answer: ""
    """
    return ctx.from_loader("empty-answer")


@rule("unquoted-short", default=Severity.WARNING)
def unquoted_short(ctx: LintContext) -> Iterable[Problem]:
    """``short: Yes`` or ``short: No`` without quotes.

    YAML 1.1 loaders (PyYAML, many CI tools) read an unquoted ``Yes`` as the boolean
    ``true``. qfill reads it back as "Yes", so nothing breaks here, but other tools that
    read the library will see a boolean. Quote it.

    PASS::

        answers:
          - id: pen-test
            question: Do you run annual penetration tests?
            answer: Yes, by an external firm every year.
            short: "Yes"

    FAIL::

        answers:
          - id: pen-test
            question: Do you run annual penetration tests?
            answer: Yes, by an external firm every year.
            short: Yes
    """
    return ctx.from_loader("unquoted-short")
