"""Text as the loader compares it: normalising headers and labels, numbers in cells, and
the answers that mean "no answer".
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

import pandas as pd

#: Answers that mean "no answer"; compared after `normalize_text` (case, punctuation, accents).
_NO_ANSWER_TEXTS = (
    "Don't know", "Don´t know", "Do not know", "I don't know", "DK", "Not sure", "N/A", "NA",
    "Not applicable", "Refused", "Prefer not to say", "Prefer not to answer", "No answer",
    "No opinion", "Missing", "Nie wiem", "Brak zdania", "Nie dotyczy", "Nie dotyczę",
    "Trudno powiedzieć", "Odmowa", "Odmowa odpowiedzi", "Brak odpowiedzi", "Weiß nicht",
    "Keine Angabe",
)

#: A Likert label that carries its score first: "7 - Agree", "10 = Strongly agree", "4. Agree",
#: "1 – Best", "5 Strongly agree". The label is words without a digit: "6 - 8" is a range.
_LEADING_NUMBER = re.compile(
    r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:[-–—=:.)]\s*|\s+)([^\W\d_][^\d]*)$"
)

#: Words that join two numbers ("2 or 3", "6 to 8"): text starting with one is no label.
_JOINING_WORDS = frozenset(
    "or to and lub albo do i oraz bis oder und ou et y o a e plus more less than of out "
    "from between".split()
)

#: Two numbers in one answer: a range ("6 to 8", "6-8", "6 – 8") or a choice ("2 or 3",
#: "2/3", "2, 3", "2 & 3"); each became the first number before, silently.
_RANGE = re.compile(r"^\s*[+-]?\d+(?:[.,]\d+)?\s*(?:[-–—]|\.\.|to|do|bis|a|à|till?)\s*"
                    r"[+-]?\d+(?:[.,]\d+)?\s*$", re.IGNORECASE)
_SEVERAL = re.compile(r"^\s*[+-]?\d+(?:[.,]\d+)?\s*(?:(?:or|and|lub|albo|i|oder|und|ou|et|y|o)"
                      r"\s+|[/&+;]\s*|,\s+)\S*\d", re.IGNORECASE)
#: "1,000" or "1 000": a thousands separator, or a decimal comma with three decimals: which
#: one cannot be told, so it is no score ("1,000" used to be read as 1).
_THOUSANDS = re.compile(r"^\s*[+-]?\d{1,3}(?:(?:,|\s|\u00a0|\u202f)\d{3})+\s*$")

#: What survey tools put between a question and a matrix statement: "Q5 - ...", "Rate: ...".
_SEPARATOR = re.compile(r"\s+[-–—|]\s+|:\s+")

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")

def normalize_text(text: object) -> str:
    """Text as compared when matching headers and labels: no case, accents or punctuation.

    Survey tools add non-breaking spaces, curly quotes, trailing question marks and double
    spaces, and clients type "Zarzad" for "Zarząd"; none of that should stop a match.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _normalize(str(text))


@functools.lru_cache(maxsize=8192)
def _normalize(text: str) -> str:
    """`normalize_text` of text; cached, as matching compares each header with every item."""
    # apostrophes first: NFKD would split "´" into a space and an accent
    text = text.translate(_APOSTROPHES).translate(_UNDECOMPOSED)
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


#: Apostrophes as keyboards, Word and survey tools write them ("company's", "company’s",
#: "companyʼs", "company´s", "company`s"): dropped, so that all read "companys".
_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼʻ`´′＇", ""))

#: Letters Unicode does not split into base letter + accent, mapped by hand for `normalize_text`.
_UNDECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D"})

#: ... and "" for an answer of punctuation only, such as "-", "?" or ".".
MISSING_ANSWERS = frozenset(normalize_text(text) for text in _NO_ANSWER_TEXTS) | {""}


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column position: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _filled(cell: object) -> bool:
    return _blank_to_none(cell) is not None


def _blank_to_none(cell: object) -> object:
    """One marker for a blank cell: empty text, NaN, NaT and None all become None."""
    if isinstance(cell, str):
        return cell.strip() or None
    return None if cell is None or pd.isna(cell) else cell


def _header_text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def _to_number(cell: object) -> float | None:
    """A cell as a number: numbers as they are; text "7", "7,5" (decimal comma), "7 - Agree".

    Text that only starts with a number ("2 or 3", "6 to 8", "1,000", "3 times 4") is no
    number: `_number_problem` says why.
    """
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip()
    if _NUMBER.match(text) and not _THOUSANDS.match(text):
        return float(text.replace(",", "."))
    labelled = _LEADING_NUMBER.match(text)
    if labelled and labelled.group(2).split()[0].casefold() not in _JOINING_WORDS:
        return float(labelled.group(1).replace(",", "."))
    return None


def _number_problem(cell: object) -> str:
    """Why text that is no number (`_to_number` None) looks like one: "" when it does not."""
    if isinstance(cell, int | float):
        return ""
    text = str(cell)
    if _THOUSANDS.match(text):
        return "a thousands separator (or three decimals), not one score"
    if _RANGE.match(text):
        return "a range of answers, not one score"
    if _SEVERAL.match(text):
        return "more than one answer, not one score"
    return ""
