"""The answered rows of a completed questionnaire, read as ``qfill answer`` reads rows.

The same reader (:func:`qfill.questionnaire.read_questionnaire`: known templates, layout
detection, ``--map``) finds each question row and its answer cells; what a vendor wrote in
those cells is the harvest. Yes/no values are normalised from however the sheet spelt
them (``Y``, ``TRUE``, ``1) Yes``, ``NA``, ``Not Applicable``, an X in a mark column).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qfill.errors import InputError
from qfill.library import Short
from qfill.questionnaire import ColumnMapping, Questionnaire, QuestionRow
from qfill.sheets.reader import read_questionnaire

# "1) Yes", "Yes.", "YES - see below": an enumerator or punctuation around the word.
_ENUMERATOR = re.compile(r"^\s*(?:\(?\d{1,2}[.)]\s*|[a-z][.)]\s+)", re.I)
_SHORTS: dict[str, Short] = {
    "yes": "Yes", "y": "Yes", "true": "Yes", "ja": "Yes", "oui": "Yes", "si": "Yes",
    "no": "No", "n": "No", "false": "No", "nein": "No", "non": "No",
    "na": "N/A", "n/a": "N/A", "n.a.": "N/A", "n.a": "N/A", "not applicable": "N/A",
    "not relevant": "N/A", "n/r": "N/A",
}
_MARKED = re.compile(r"^\s*(?:x|✓|✔|☑|☒|yes|y|true|1|•)\s*$", re.I)
_URL = re.compile(r"^https://\S+$")


def short_value(text: str | None) -> Short | None:
    """The Yes/No/N/A a yes/no cell states, however spelt; None for anything else."""
    if text is None:
        return None
    key = _ENUMERATOR.sub("", " ".join(text.split())).strip(" .!:;-").lower()
    return _SHORTS.get(key)


@dataclass(frozen=True, slots=True)
class AnsweredRow:
    """What the vendor wrote on one question row.

    ``short`` is the normalised yes/no (None: the row has none, or a value that is not
    one, kept in ``choice``); ``narrative`` the free-text answer; ``evidence`` what the
    evidence column holds. Empty cells are None.
    """

    file: str
    sheet: str
    row: int
    question: str
    question_id: str | None
    section: str | None
    template: str | None
    short: Short | None = None
    choice: str | None = None  # a dropdown value that is not yes/no ("Tier I")
    narrative: str | None = None
    evidence: str | None = None
    marks: tuple[str, ...] = ()  # the mark columns that hold a mark, when several do

    @property
    def where(self) -> str:
        """Where the row is, as a person finds it: "file, sheet row N"."""
        if self.sheet == Path(self.file).stem:  # a CSV is one sheet named after the file
            return f"{self.file} row {self.row}"
        return f"{self.file}, {self.sheet} row {self.row}"

    @property
    def blank(self) -> bool:
        return self.short is None and not self.choice and not self.narrative \
            and not self.evidence and not self.marks


def read_answered(path: Path, *, include_hidden: bool = False,
                  sheets: Sequence[str] | None = None,
                  mapping: ColumnMapping | None = None) -> tuple[Questionnaire, list[AnsweredRow]]:
    """Every question row of a completed questionnaire with what was written on it.

    Raises :class:`~qfill.errors.InputError` for an unusable file and for one in which no
    answer column was found (a list of questions with nowhere for answers).
    """
    questionnaire = read_questionnaire(path, include_hidden=include_hidden, sheets=sheets,
                                       mapping=mapping)
    if questionnaire.append_columns:
        questionnaire = _two_columns(path, questionnaire, mapping)
    name = path.name
    rows = [answered_row(name, questionnaire.template, row) for row in questionnaire.rows]
    return questionnaire, rows


def _two_columns(path: Path, questionnaire: Questionnaire,
                 mapping: ColumnMapping | None) -> Questionnaire:
    """A CSV without an answer header: a plain two-column export, question then answer."""
    from qfill.sheets.a1 import column_index, column_letters

    layout = questionnaire.sheets[0] if questionnaire.sheets else None
    question = layout.columns.get("question") if layout else None
    if mapping is None and question is not None:
        answer = column_letters(column_index(question) + 1)
        retry = read_questionnaire(path, mapping=ColumnMapping({"question": question,
                                                                "answer": answer}))
        if not retry.append_columns and any(_has_answer(r) for r in retry.rows):
            return retry
    raise InputError(f"{path}: no answer column found; name the columns with --map "
                     "question=<column>,answer=<column>")


def _has_answer(row: QuestionRow) -> bool:
    return any(t.current is not None for t in row.targets)


def answered_row(file: str, template: str | None, row: QuestionRow) -> AnsweredRow:
    """The vendor's answer on one row, from the current values of its answer cells."""
    short: Short | None = None
    choice: str | None = None
    narrative: str | None = None
    evidence: str | None = None
    marked: list[str] = []
    for target in row.targets:
        value = _text(target.current)
        if value is None:
            continue
        if target.role == "short":
            found = short_value(value)
            if found is not None:
                short = found
            else:
                choice = value
        elif target.role == "answer":
            narrative = value
        elif target.role == "evidence":
            evidence = value
        elif target.role == "mark" and target.mark and _MARKED.match(value):
            marked.append(target.mark)
    if len(marked) == 1:
        short = marked[0]  # type: ignore[assignment]
    if short is None and choice is None and narrative is not None:
        # A yes/no typed in the free-text cell (a response column without a dropdown).
        found = short_value(narrative)
        if found is not None:
            short, narrative = found, None
    if evidence is not None and narrative is None and not _URL.match(evidence):
        narrative, evidence = evidence, None  # the details column carried the narrative
    return AnsweredRow(file=file, sheet=row.sheet, row=row.row, question=row.question,
                       question_id=row.question_id, section=row.section, template=template,
                       short=short, choice=choice, narrative=narrative, evidence=evidence,
                       marks=tuple(marked) if len(marked) > 1 else ())


def _text(value: str | None) -> str | None:
    """Cell text with spaces collapsed in each line; paragraphs (blank lines) and line
    breaks kept, since a narrative's list or paragraphs are part of the answer."""
    if value is None:
        return None
    lines = [" ".join(line.split()) for line in value.splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text or None
