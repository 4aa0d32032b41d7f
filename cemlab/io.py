"""Reading a client's survey file, of any common format, into one validated `Survey`.

Two steps. `read_table` turns a file (CSV in any common dialect, Excel, SPSS, a Qualtrics or
SurveyMonkey export) into a `RawTable` that keeps the header rows and the row numbers the
client's spreadsheet shows. `load` matches its columns to the instrument's items, maps group
labels, checks every answer and records whatever it excludes or sets missing in the QualityLog.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zipfile import BadZipFile

import openpyxl
import pandas as pd
import pyreadstat
from openpyxl.utils.exceptions import InvalidFileException

from cemlab.exceptions import DataError, located
from cemlab.instrument import Instrument, load_instrument
from cemlab.survey import QualityLog, Survey

#: Answers that mean "no answer"; compared after `normalize_text` (case, punctuation, accents).
_NO_ANSWER_TEXTS = (
    "Don't know", "Don´t know", "Do not know", "I don't know", "DK", "Not sure", "N/A", "NA",
    "Not applicable", "Refused", "Prefer not to say", "Prefer not to answer", "No answer",
    "No opinion", "Missing", "Nie wiem", "Brak zdania", "Nie dotyczy", "Nie dotyczę",
    "Trudno powiedzieć", "Odmowa", "Odmowa odpowiedzi", "Brak odpowiedzi", "Weiß nicht",
    "Keine Angabe",
)

#: Optional respondent-level fields a `columns` mapping may name besides items and the group.
EXTRA_FIELDS = ("respondent_id", "segment", "weight", "wave")

#: Column names that identify respondents in survey-tool exports, after `normalize_text`.
_ID_NAMES = ("respondent id", "respondentid", "responseid", "response id", "respondent", "id")

#: A Likert label that carries its score first: "7 - Agree", "10 = Strongly agree", "1 – Best".
_LEADING_NUMBER = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:[-–—=:.)]\s*|\s+)\D")

#: What survey tools put between a question and a matrix statement: "Q5 - ...", "Rate: ...".
_SEPARATOR = re.compile(r"\s+[-–—|]\s+|:\s+")

#: Excel's own delimiter hint, a first line such as "sep=;".
_EXCEL_SEP_LINE = re.compile(r"sep=(.)\r?\n")

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")

_ZIP_MAGIC = b"PK\x03\x04"
_SAV_MAGIC = (b"$FL2", b"$FL3")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office 97 files)


def normalize_text(text: object) -> str:
    """Text as compared when matching headers and labels: no case, accents or punctuation.

    Survey tools add non-breaking spaces, curly quotes, trailing question marks and double
    spaces, and clients type "Zarzad" for "Zarząd"; none of that should stop a match.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    text = unicodedata.normalize("NFKD", str(text).translate(_UNDECOMPOSED)).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "").replace("'", "").replace("‘", "")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


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


# -- the raw table ---------------------------------------------------------------------------


@dataclass
class RawColumn:
    """One column of the client's file and every header text that can identify it."""

    name: str
    letter: str
    texts: list[str]
    value_labels: dict[object, str] = field(default_factory=dict)
    missing_ranges: list[tuple[object, object]] = field(default_factory=list)

    def is_user_missing(self, value: object) -> bool:
        """True when SPSS declares ``value`` a user-missing code for this column."""
        for low, high in self.missing_ranges:
            try:
                if low <= value <= high:  # type: ignore[operator]
                    return True
            except TypeError:
                continue
        return False


@dataclass
class RawTable:
    """A client's file as read: header rows, columns, and cells keyed by spreadsheet row.

    ``cells`` holds one row per data row, indexed by the row number the client's spreadsheet
    shows (header rows count: the first data row of a plain CSV is row 2, of a Qualtrics export
    row 4; SPSS numbers cases from 1). Blank cells are ``None``; CSV cells are text, Excel and
    SPSS cells keep their numbers.
    """

    path: Path
    format: str  # "csv", "xlsx" or "sav"
    layout: str  # "plain", "qualtrics", "qualtrics-legacy", "surveymonkey" or "spss"
    columns: list[RawColumn]
    cells: pd.DataFrame
    header_rows: list[list[str]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    title_rows: int = 0  # rows above the header (a title, blank rows), skipped
    blank_rows: list[int] = field(default_factory=list)
    malformed_rows: dict[int, str] = field(default_factory=dict)
    #: Rows below the data with one cell of text ("Source: ..."), set aside: row -> (column, text).
    note_rows: dict[int, tuple[str, object]] = field(default_factory=dict)

    @property
    def first_data_row(self) -> int:
        return 1 if self.format == "sav" else self.title_rows + len(self.header_rows) + 1

    def values(self, column: str, rows: Iterable[int] | None = None) -> list[tuple[int, object]]:
        """(spreadsheet row, cell) pairs of one column, blank cells as ``None``.

        pandas may turn a stored ``None`` into NaN on selection; this gives one blank marker.
        """
        series = self.cells[column] if rows is None else self.cells.loc[list(rows), column]
        return [(row, _blank_to_none(cell)) for row, cell in series.items()]

    def column(self, name: str) -> RawColumn:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def describe(self) -> str:
        """One line saying how the file was read, for the data-quality summary."""
        layout = {
            "plain": "table",
            "qualtrics": "Qualtrics export",
            "qualtrics-legacy": "Qualtrics legacy export",
            "surveymonkey": "SurveyMonkey export",
            "spss": "SPSS data file",
        }[self.layout]
        parts = [f"{self.format.upper()} {layout}"]
        if self.encoding:
            parts.append(self.encoding)
        if self.delimiter:
            parts.append(f"{'tab' if self.delimiter == chr(9) else repr(self.delimiter)} delimited")
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.title_rows:
            parts.append(f"{self.title_rows} row(s) above the header skipped")
        if self.format != "sav":
            rows = len(self.header_rows)
            parts.append(f"{rows} header row{'s' if rows != 1 else ''}")
        parts.append(f"{len(self.cells)} data rows, {len(self.columns)} columns")
        if self.note_rows:
            parts.append(f"{len(self.note_rows)} note row(s) below the data left out")
        return ", ".join(parts)


def read_table(path: str | Path, sheet: str | int | None = None) -> RawTable:
    """Read any supported file into a `RawTable`, detecting the format from its content.

    CSV (delimiter ``,`` ``;`` tab or ``|``; UTF-8 with or without BOM, UTF-16, Windows-1250 or
    Windows-1252), Excel ``.xlsx`` (``sheet`` by name or 0-based position, default the first),
    SPSS ``.sav``. Qualtrics (3 or legacy 2 header rows) and SurveyMonkey (2 header rows)
    exports are recognised from their header rows. The file is only ever opened for reading.

    Raises
    ------
    DataError
        The file is missing, empty, not a table, or has no data rows.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(
            located(
                "this is a folder; a survey file (CSV, .xlsx or .sav) is needed",
                file=path,
                fix="give the path of the file itself",
            )
        )
    if not path.is_file():
        raise DataError(
            located(
                "no such file" if not path.exists() else "not a file",
                file=path,
                fix=_nearby_files_hint(path),
            )
        )
    if path.stat().st_size == 0:
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_SAV_MAGIC):
        table = _read_sav(path)
    elif head.startswith(_ZIP_MAGIC):
        table = _read_xlsx(path, sheet)
    elif head.startswith(_OLE_MAGIC):
        raise DataError(
            located(
                "this is an old-style Excel .xls (or other Office 97) file, which cemlab does "
                "not read",
                file=path,
                fix="open it in Excel and save it as .xlsx or as CSV",
            )
        )
    else:
        table = _read_csv(path)
    if table.cells.empty:
        if table.format == "sav":
            problem = "no cases (respondents) in this file"
        else:
            problem = f"no data rows below the {len(table.header_rows)} header row(s)"
        raise DataError(
            located(
                problem,
                file=path,
                fix="check that this is the export with the responses, not an empty template",
            )
        )
    return table


def _nearby_files_hint(path: Path) -> str:
    folder = path.parent if path.parent.is_dir() else None
    if folder is None:
        return f"the folder {path.parent} does not exist either; check the path"
    names = [p.name for p in folder.iterdir() if p.is_file()]
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.5)
    if close:
        return f"check the path; files with similar names in {folder}: {', '.join(close)}"
    return f"check the path (the folder {folder} exists)"


# -- CSV -------------------------------------------------------------------------------------


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding, told apart from the bytes themselves."""
    for bom, codec, label in (
        (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),  # Excel's "Unicode text" export
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(codec), label
            except UnicodeDecodeError as exc:
                raise DataError(
                    located(
                        f"starts like {label} text but byte {exc.start} is not {label}",
                        file=path,
                        fix="save the file again as 'CSV UTF-8' from Excel",
                    )
                ) from None
    if b"\x00" in raw[:4096]:
        raise DataError(
            located(
                "this is not a text table (CSV), an Excel .xlsx or an SPSS .sav file",
                file=path,
                fix="export the survey responses as CSV, .xlsx or .sav",
            )
        )
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    decoded = {}
    for encoding in ("cp1250", "cp1252"):
        try:
            decoded[encoding] = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise DataError(
            located(
                "cannot tell the text encoding (not UTF-8, Windows-1250 or Windows-1252)",
                file=path,
                fix="save the file as 'CSV UTF-8' from Excel",
            )
        )
    if len(decoded) == 1:
        encoding = next(iter(decoded))
    else:
        encoding = _central_or_western(decoded["cp1250"], decoded["cp1252"])
    label = {"cp1250": "Windows-1250", "cp1252": "Windows-1252"}[encoding]
    return decoded[encoding], label


def _central_or_western(as_1250: str, as_1252: str) -> str:
    """Pick Windows-1250 or -1252 by which one gives letters inside words where they differ.

    Both code pages decode almost any byte, so the text itself must decide. Polish Excel
    output is full of bytes that are letters in 1250 but symbols in 1252 ("Zarząd" would read
    "Zarz¹d", "Sprzedaż" "Sprzeda¿"). Only characters that follow a letter count, so that a
    Spanish "¿Qué?" or a British "£50" in a Western file is no evidence for 1250. The bytes of
    ć ę ń ś ź are letters in 1252 too (æ ê ñ œ Ÿ); for them `_letter_evidence` weighs where in
    the word they stand. Words ending in ę count only beside other Polish evidence or when
    there are two different ones, since Portuguese ends a few words in ê ("você", "bebê").
    Without evidence the file is Western (for plain Western text both give the same or similar
    letters).
    """
    central, western, final_e_words = _letter_evidence(as_1250, as_1252)
    for i in range(1, min(len(as_1250), len(as_1252))):
        a, b = as_1250[i], as_1252[i]
        if a == b:
            continue
        if a.isalpha() and not b.isalpha() and as_1250[i - 1].isalpha():
            central += 1
        elif b.isalpha() and not a.isalpha() and as_1252[i - 1].isalpha():
            western += 1
    if central or len(final_e_words) >= 2:
        central += final_e_words.total()
    return "cp1250" if central > western else "cp1252"


#: Vowels as each code page decodes them: a neighbour is read in the decoding being tested.
_VOWELS_1250 = frozenset("aeiouyáâäăąéęëěíîóôöőúůüűý")
_VOWELS_1252 = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ")


def _letter_evidence(as_1250: str, as_1252: str) -> tuple[int, int, Counter[str]]:
    """(Polish, Western) evidence from bytes that are letters in both code pages, and the
    words that end in ę (as 1250 reads them, with how often each occurs).

    Polish writes ć ś ń ź only before a consonant or at the end of a word (before a vowel it
    writes ci si ni zi), so one of those bytes before a vowel, read as 1252, is Western
    (Spanish "año", French "cœur"); ś ń ź before a consonant or ending a word, read as 1250,
    are Polish ("jeśli", "końca", "dzień", "coś", "źle", "Kaśka"). ć before a consonant is
    no evidence: Danish æ stands there too ("Maćkowiak", "næste"); ending a word after a vowel
    or ś it is Polish ("powiedzieć", "jeść"), after a consonant it may be Danish ("træ").
    Letters that 1250 gives but Polish does not use (č ě ř ă ő for è ì ø ã õ) count for the
    Western reading.
    """
    polish = western = 0
    final_e_words: Counter[str] = Counter()
    for i, (a, b) in enumerate(zip(as_1250, as_1252)):
        if a == b or not (a.isalpha() and b.isalpha()):
            continue
        a = a.lower()
        if a not in "ćęńśź":
            western += 1
            continue
        next_1250 = as_1250[i + 1].lower() if i + 1 < len(as_1250) else " "
        next_1252 = as_1252[i + 1].lower() if i + 1 < len(as_1252) else " "
        before = as_1250[i - 1].lower() if i else " "
        ends_word = not next_1250.isalpha()
        if a == "ę":
            if ends_word and before.isalpha():
                start = i
                while start and as_1250[start - 1].isalpha():
                    start -= 1
                final_e_words[as_1250[start : i + 1].lower()] += 1
        elif a in "śńź" and (ends_word or next_1250 not in _VOWELS_1250):
            polish += 1
        elif next_1252 in _VOWELS_1252:
            western += 1  # before a vowel Polish writes ci si ni zi
        elif a == "ć" and ends_word and (before in _VOWELS_1250 or before == "ś"):
            polish += 1
    return polish, western, final_e_words


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number of fields."""
    sample = "".join(io.StringIO(text[:65536], newline="").readlines()[:50])
    best, best_score = ",", (-1.0, 0)
    for delimiter in (",", ";", "\t", "|"):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        rows = [r for r in reader if any(r)]
        if not rows:
            continue
        counts = Counter(len(r) for r in rows)
        width, seen = counts.most_common(1)[0]
        if width < 2:
            continue
        score = (seen / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path) -> RawTable:
    text, encoding = _decode(path, path.read_bytes())
    if not text.strip():
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    hint = _EXCEL_SEP_LINE.match(text)
    if hint:  # Excel reads the delimiter from a first line "sep=;" and does not show that line
        delimiter, text = hint.group(1), text[hint.end() :]
    else:
        delimiter = _sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise DataError(
            located(
                f"cannot be read as {delimiter!r}-delimited text ({exc})",
                file=path,
                fix="open it in Excel and save it again as CSV",
            )
        ) from None
    return _build_table(path, "csv", records, encoding=encoding, delimiter=delimiter)


# -- Excel -----------------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | int | None) -> RawTable:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise DataError(
            located(
                f"cannot open as an Excel .xlsx workbook ({exc})",
                file=path,
                fix="open it in Excel and save it again as .xlsx, or export CSV",
            )
        ) from None
    try:
        names = book.sheetnames
        if sheet is None:
            chosen = names[0]
        elif str(sheet) in names:  # a sheet named "2026" is meant even when YAML says 2026
            chosen = str(sheet)
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            chosen = names[sheet]
        else:
            raise DataError(
                located(
                    f"no sheet {sheet!r} in this workbook",
                    file=path,
                    fix=f"set sheet to one of {', '.join(repr(n) for n in names)}",
                )
            )
        records = [
            [str(v) if isinstance(v, bool) else v for v in row]
            for row in book[chosen].iter_rows(min_row=1, min_col=1, values_only=True)
        ]
    finally:
        book.close()
    return _build_table(path, "xlsx", records, sheet=chosen)


# -- header rows (CSV and Excel) -------------------------------------------------------------


def _detect_layout(records: list[list[object]]) -> tuple[str, int]:
    """Which survey tool wrote the file, and how many header rows it put above the data."""

    def row(i: int) -> list[str]:
        return [_header_text(c) for c in records[i]] if i < len(records) else []

    first, second, third = row(0), row(1), row(2)
    if any(cell.startswith('{"ImportId"') for cell in third):
        return "qualtrics", 3
    if first[:2] == ["V1", "V2"] and "ResponseID" in second:
        return "qualtrics-legacy", 2
    normalized = [normalize_text(c) for c in first]
    if "respondent id" in normalized and second:
        position = normalized.index("respondent id")
        below = second[position] if position < len(second) else ""
        if not _NUMBER.match(below.replace(" ", "")):
            return "surveymonkey", 2
    return "plain", 1


def _build_table(
    path: Path,
    fmt: str,
    records: list[list[object]],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> RawTable:
    while records and not any(_filled(c) for c in records[-1]):
        records.pop()
    if not records:
        raise DataError(located("the file is empty", file=path, fix="export the survey data again"))
    # A title (and blank rows) above the header, as in a spreadsheet made for reading: the
    # header is the first row with two filled cells. Row numbers still count the title rows.
    title_rows = next(
        (i for i, r in enumerate(records) if sum(_filled(c) for c in r) >= 2), 0
    )
    layout, n_header = _detect_layout(records[title_rows:])
    header_records = records[title_rows : title_rows + n_header]
    data_records = records[title_rows + n_header :]
    # data rows wider than the header (unnamed trailing columns) widen it when most are
    typical = Counter(len(r) for r in data_records).most_common(1)
    width = max([len(r) for r in header_records] + [typical[0][0] if typical else 0])
    headers = [[_header_text(c) for c in r] + [""] * (width - len(r)) for r in header_records]
    rows: list[list[object]] = []
    numbers: list[int] = []
    blank_rows: list[int] = []
    malformed: dict[int, str] = {}
    for number, record in enumerate(data_records, start=title_rows + n_header + 1):
        cells = [_blank_to_none(c) for c in record]
        if not any(c is not None for c in cells):
            blank_rows.append(number)
            continue
        if len(cells) > width:
            extra = [c for c in cells[width:] if c is not None]
            if extra:
                malformed[number] = (
                    f"{len(cells)} cells but the header has {width} columns "
                    f"(extra value {extra[0]!r}: a delimiter inside an unquoted answer?)"
                )
            cells = cells[:width]
        rows.append(cells + [None] * (width - len(cells)))
        numbers.append(number)
    columns = _columns_from_headers(layout, headers)
    # A note below the data ("Source: Acme HR, exported 2026-01-05") fills one cell with text:
    # it is not a response. The rows after the last one that may be a response are set aside,
    # to be listed by `load` (which gives back any whose text is a group label).
    last_response = max(
        (i for i, cells in enumerate(rows) if numbers[i] in malformed or not _may_be_note(cells)),
        default=len(rows) - 1,
    )
    notes: dict[int, tuple[str, object]] = {}
    for number, cells in zip(numbers[last_response + 1 :], rows[last_response + 1 :]):
        position = next(i for i, c in enumerate(cells) if c is not None)
        notes[number] = (columns[position].name, cells[position])
    del rows[last_response + 1 :], numbers[last_response + 1 :]
    cells_frame = pd.DataFrame(
        rows, index=pd.Index(numbers, name="row"), columns=[c.name for c in columns], dtype=object
    )
    unused = [c.name for c in columns if not c.texts and cells_frame[c.name].isna().all()]
    if unused:  # an empty trailing column from a trailing delimiter, as legacy Qualtrics writes
        cells_frame = cells_frame.drop(columns=unused)
        columns = [c for c in columns if c.name not in unused]
    if len(columns) < 2 and layout == "plain":
        raise DataError(
            located(
                "this does not look like a survey table: it has only one column"
                + (f" (read as {delimiter!r}-delimited text)" if delimiter else ""),
                file=path,
                fix="export the responses with one column per question (CSV, .xlsx or .sav)",
            )
        )
    return RawTable(
        path=path,
        format=fmt,
        layout=layout,
        columns=columns,
        cells=cells_frame,
        header_rows=headers,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        title_rows=title_rows,
        blank_rows=blank_rows,
        malformed_rows=malformed,
        note_rows=notes,
    )


def _may_be_note(cells: list[object]) -> bool:
    """True when a row has one filled cell and it is neither a number, a score nor a no-answer.

    Below the data such a row is a note ("Source: ..."); a row with only a score or "Don't
    know" in it is a respondent who answered little, wherever it stands.
    """
    filled = [c for c in cells if c is not None]
    if len(filled) != 1:
        return False
    return _to_number(filled[0]) is None and normalize_text(filled[0]) not in MISSING_ANSWERS


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


def _columns_from_headers(layout: str, headers: list[list[str]]) -> list[RawColumn]:
    columns: list[RawColumn] = []
    block = ""
    for position in range(len(headers[0])):
        letter = column_letter(position)
        cells = [h[position] for h in headers]
        name = cells[0]
        texts = [c for c in cells if c]
        if layout == "qualtrics":
            import_id = re.search(r'"ImportId"\s*:\s*"([^"]+)"', cells[2])
            texts = [c for c in cells[:2] if c] + ([import_id.group(1)] if import_id else [])
        elif layout == "surveymonkey":
            question, sub = cells[0], cells[1]
            block = question or block
            single = not sub or sub in ("Response", "Open-Ended Response") or sub == question
            if question and single:
                name = question
            elif sub:
                name = f"{block} - {sub}" if block else sub
            texts = [t for t in (name, sub, question) if t]
        columns.append(RawColumn(name=name or f"column {letter}", letter=letter, texts=texts))
    seen: Counter[str] = Counter(c.name for c in columns)
    for col in columns:
        if seen[col.name] > 1:  # repeated header names: tell them apart by spreadsheet letter
            col.name = f"{col.name} ({col.letter})"
    return columns


# -- SPSS ------------------------------------------------------------------------------------


def _read_sav(path: Path) -> RawTable:
    try:
        # user_missing=True keeps declared missing codes (e.g. 99 "no answer") as values so that
        # they can be counted; they are turned into missing answers in `load`.
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeError) as exc:
        raise DataError(
            located(
                f"cannot read as an SPSS .sav file ({exc})",
                file=path,
                fix="save it again from SPSS, or export CSV",
            )
        ) from None
    columns = []
    for position, name in enumerate(frame.columns):
        label = (meta.column_names_to_labels or {}).get(name) or ""
        ranges = [(r["lo"], r["hi"]) for r in (meta.missing_ranges or {}).get(name, [])]
        columns.append(
            RawColumn(
                name=name,
                letter=column_letter(position),
                texts=[name] + ([label] if label else []),
                value_labels=dict((meta.variable_value_labels or {}).get(name, {})),
                missing_ranges=ranges,
            )
        )
    cells = frame.astype(object).map(_blank_to_none)
    cells.index = pd.Index(range(1, len(frame) + 1), name="row")
    return RawTable(
        path=path,
        format="sav",
        layout="spss",
        columns=columns,
        cells=cells,
        header_rows=[list(frame.columns), [c.texts[-1] for c in columns]],
        encoding=meta.file_encoding,
    )


# -- matching columns to the instrument ------------------------------------------------------


def _column_candidates(col: RawColumn) -> list[str]:
    return [normalize_text(t) for t in [col.name, *col.texts] if normalize_text(t)]


def _find_named_column(table: RawTable, wanted: str) -> list[RawColumn]:
    """Columns a `columns` mapping value may mean: exact name, else any header text, else letter."""
    exact = [c for c in table.columns if c.name == wanted]
    if exact:
        return exact
    key = normalize_text(wanted)
    by_text = [c for c in table.columns if key and key in _column_candidates(c)]
    if by_text:
        return by_text
    return [c for c in table.columns if c.letter == wanted.strip().upper()]


def _text_matches(statement: str, col: RawColumn) -> str | None:
    """How a column's header carries an item's statement: "exact", "after-prefix" or None.

    "after-prefix" is a header that ends with the statement after a separator, as Qualtrics
    writes matrix rows: "Q5 - Leaders make decisions ..." or "Please rate ... - Leaders make
    decisions ...". The separator is required so that a short statement never matches the
    tail of a longer one ("customers first" inside "... who put customers first").
    """
    target = normalize_text(statement)
    if not target:
        return None
    if target in _column_candidates(col):
        return "exact"
    for text in col.texts:
        parts = _SEPARATOR.split(text)
        tails = (" ".join(parts[i:]) for i in range(1, len(parts)))
        if any(normalize_text(tail) == target for tail in tails):
            return "after-prefix"
    return None


def _closest_columns(table: RawTable, *targets: str, n: int = 3) -> list[str]:
    """The table's column names most like any of ``targets`` (names or statement text)."""
    scored: dict[str, float] = {}
    for col in table.columns:
        for candidate in _column_candidates(col):
            for target in targets:
                ratio = difflib.SequenceMatcher(None, normalize_text(target), candidate).ratio()
                scored[col.name] = max(scored.get(col.name, 0.0), ratio)
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    return [name for name, ratio in ranked[:n] if ratio >= 0.3]


def _describe_choices(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(repr(n) for n in names) if names else "(none similar)"


def answer_fields(instrument: Instrument) -> list[str]:
    """The instrument's answer columns: its item ids, then the recommend item's id if any."""
    recommend = [instrument.recommend.id] if instrument.recommend is not None else []
    return [*instrument.item_ids, *recommend]


@dataclass
class _ColumnPlan:
    """Which column of the file feeds each field of the Survey (None: not asked / absent)."""

    fields: dict[str, str | None]
    notes: list[str]


def _plan_columns(
    table: RawTable, instrument: Instrument, columns: Mapping[str, str | None]
) -> _ColumnPlan:
    """Find every field's column: the mapping, then items by id or statement, then by name.

    A missing item is an error here; a missing group column is left to `load`, which can
    still recognise the column by its values.
    """
    plan = _ColumnPlan(fields={}, notes=[])
    _apply_mapping(table, instrument, columns, plan)
    free = [c for c in table.columns if c.name not in set(plan.fields.values())]
    free = _match_items(table, instrument, plan, free)
    group_field = instrument.groups.column
    if group_field not in plan.fields:
        by_name = [c for c in free if normalize_text(c.name) == normalize_text(group_field)]
        plan.fields[group_field] = by_name[0].name if by_name else None
    for extra in EXTRA_FIELDS:
        if extra in plan.fields:
            continue
        names = _ID_NAMES if extra == "respondent_id" else (normalize_text(extra),)
        hits = [c for name in names for c in free if name in _column_candidates(c)]
        plan.fields[extra] = hits[0].name if hits else None
    return plan


def _apply_mapping(
    table: RawTable, instrument: Instrument, columns: Mapping[str, str | None], plan: _ColumnPlan
) -> None:
    """Put the params' `columns` mapping into ``plan``.

    A key that is not a field, or a column that is not in the file, is an error naming the
    closest alternatives.
    """
    group_field = instrument.groups.column
    answers = answer_fields(instrument)
    known = {*answers, group_field, "group", *EXTRA_FIELDS}
    mapping = dict(columns)
    if "group" in mapping:
        mapping.setdefault(group_field, mapping.pop("group"))
    for key, wanted in mapping.items():
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.5)
            raise DataError(
                located(
                    f"the columns mapping names {key!r}, which is not an item of instrument "
                    f"{instrument.name!r} nor one of {group_field}, {', '.join(EXTRA_FIELDS)}",
                    file=table.path,
                    fix=f"use one of {_describe_choices(close)}" if close else "check the spelling",
                )
            )
        if wanted is None and key == group_field:
            raise DataError(
                located(
                    f"the columns mapping says {group_field}: null, but every respondent needs "
                    "a group",
                    file=table.path,
                    fix=f"name the column that holds {', '.join(instrument.groups.levels)}",
                )
            )
        if wanted is None:
            plan.fields[key] = None
            if key in answers:
                plan.notes.append(f"{key}: not asked (columns mapping says null)")
            continue
        found = _find_named_column(table, str(wanted))
        if len(found) != 1:
            problem = "no column" if not found else f"{len(found)} columns"
            listed = [c.name for c in found] or _closest_columns(table, str(wanted))
            raise DataError(
                located(
                    f"the columns mapping sends {key} to {wanted!r}, but the file has {problem} "
                    f"of that name; closest: {_describe_choices(listed)}",
                    file=table.path,
                    fix=f"set columns: {{{key}: <exact column name>}} in the params file",
                )
            )
        plan.fields[key] = found[0].name
    fields_of: dict[str, list[str]] = {}
    for key, column in plan.fields.items():
        if column is not None:
            fields_of.setdefault(column, []).append(key)
    for column, keys in fields_of.items():
        if len(keys) > 1 and any(key in answers for key in keys):
            raise DataError(
                located(
                    f"the columns mapping sends {' and '.join(keys)} to the same column "
                    f"{column!r}; each question needs a column of its own",
                    file=table.path,
                    fix=f"map each to its own column in the params file (columns: {{{keys[-1]}: "
                    f"<column>}}), or {keys[-1]}: null if it was not asked",
                )
            )


def _match_items(
    table: RawTable, instrument: Instrument, plan: _ColumnPlan, free: list[RawColumn]
) -> list[RawColumn]:
    """Match the unmapped items by id, then by statement; return the columns still free.

    Raises a `DataError` for an item two columns match, for items no column matches (with
    the closest column names), and, when no item matches at all, says the file does not
    look like a survey for this instrument.
    """
    missing: list[str] = []
    for item_id in answer_fields(instrument):
        if item_id in plan.fields:
            continue
        statement = instrument.text_of(item_id)
        # the header as written, not the name made unique: two "q1" columns are ambiguous
        found = [c for c in free if normalize_text(item_id) in
                 (normalize_text(c.name), normalize_text(c.texts[0] if c.texts else ""))]
        if not found:
            matches = [(c, _text_matches(statement, c)) for c in free]
            exact = [c for c, how in matches if how == "exact"]
            found = exact or [c for c, how in matches if how == "after-prefix"]
        if len(found) > 1:
            raise DataError(
                located(
                    f"item {item_id} ({statement!r}) matches {len(found)} columns: "
                    f"{_describe_choices(c.name for c in found)}",
                    file=table.path,
                    fix=f"say which one in the params file: columns: {{{item_id}: <column name>}}",
                )
            )
        if found:
            plan.fields[item_id] = found[0].name
            free = [c for c in free if c.name != found[0].name]
        else:
            missing.append(item_id)

    asked = [f for f in answer_fields(instrument) if plan.fields.get(f, "") is not None]
    if missing and len(missing) == len(asked):
        raise DataError(
            located(
                f"none of the {len(asked)} questions of instrument {instrument.name!r} was found "
                f"among the {len(table.columns)} columns (first columns: "
                f"{_describe_choices(c.name for c in table.columns[:5])}); this does not look like "
                "a survey export for this instrument",
                file=table.path,
                fix="check the file and the instrument, or map the columns in the params file "
                "(columns: {item_id: column name})",
            )
        )
    if missing:
        lines = []
        for item_id in missing:
            close = _closest_columns(table, item_id, instrument.text_of(item_id))
            lines.append(f"{item_id} ({instrument.text_of(item_id)!r}); closest columns: "
                         f"{_describe_choices(close)}")
        raise DataError(
            located(
                f"{len(missing)} question(s) of instrument {instrument.name!r} not found: "
                + "; ".join(lines),
                file=table.path,
                fix="map each in the params file, columns: {item_id: column name}, or "
                "columns: {item_id: null} when the question was not asked",
            )
        )
    return free


# -- reading answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    """What one distinct cell value of an item column means.

    ``kind`` is "" for a score or a blank, else "no answer", "out of range", "not whole" or
    "not a number"; ``problem`` is the reason it became missing, as counted in the quality log.
    """

    value: float | None
    kind: str = ""
    problem: str = ""


_BLANK = _Answer(None)


def _to_number(cell: object) -> float | None:
    """A cell as a number: numbers as they are; text "7", "7,5" (decimal comma), "7 - Agree"."""
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip().replace("\u00a0", "").replace(" ", "")
    if _NUMBER.match(text):
        return float(text.replace(",", "."))
    labelled = _LEADING_NUMBER.match(str(cell))
    if labelled:
        return float(labelled.group(1).replace(",", "."))
    return None


def _read_answer(cell: object, col: RawColumn, low: int, high: int) -> _Answer:
    """Turn one cell of an item column into a score on ``low``-``high``, or say why not."""
    if cell is None:
        return _BLANK
    label = col.value_labels.get(cell)
    shown = f"{cell!r}" + (f" ({label!r})" if label else "")
    if col.is_user_missing(cell):
        return _Answer(None, "no answer", f"SPSS user-missing code {shown}")
    if normalize_text(cell) in MISSING_ANSWERS:
        return _Answer(None, "no answer", f"{cell!r} means no answer")
    if label is not None and normalize_text(label) in MISSING_ANSWERS:
        return _Answer(None, "no answer", f"code {shown} means no answer")
    number = _to_number(cell)
    if number is None and label is not None:
        number = _to_number(label)
    if number is None:
        return _Answer(None, "not a number", f"not a number on the {low}-{high} scale")
    if not low <= number <= high:
        return _Answer(None, "out of range", f"outside the {low}-{high} scale")
    if abs(number - round(number)) > 1e-9:  # 3.5 or "2,5"; float noise such as 6.9999999999 is 7
        return _Answer(None, "not whole", f"not a whole number on the {low}-{high} scale")
    return _Answer(float(round(number)))


def _group_lookup(
    instrument: Instrument, group_labels: Mapping[str, Iterable[str]], path: Path
) -> dict[str, str]:
    """Normalized label -> level, from the levels, the instrument's labels and the client's."""
    lookup: dict[str, str] = {}
    sources = [{level: [level] for level in instrument.groups.levels}, instrument.groups.labels]
    sources.append({level: list(labels) for level, labels in group_labels.items()})
    for source in sources:
        for level, labels in source.items():
            if level not in instrument.groups.levels:
                raise DataError(
                    located(
                        f"group_labels names the level {level!r}, but instrument "
                        f"{instrument.name!r} has levels {', '.join(instrument.groups.levels)}",
                        file=path,
                        fix="use one of those levels",
                    )
                )
            for label in labels:
                lookup[normalize_text(label)] = level
    return lookup


def _group_of(cell: object, col: RawColumn, lookup: Mapping[str, str]) -> str | None:
    """The level of one group cell: by its SPSS value label first, then by the cell itself."""
    label = col.value_labels.get(cell)
    for candidate in (label, cell):
        if candidate is None:
            continue
        key = normalize_text(_header_text(candidate))
        if key in lookup:
            return lookup[key]
    return None


def _guess_group_column(
    table: RawTable, lookup: Mapping[str, str], used: set[str]
) -> RawColumn | None:
    """The one column whose filled cells are nearly all group labels (a Polish "Stanowisko").

    Only used when no column is named after the group and the params map none; nine in ten
    filled cells must be labels, so a Yes/No or free-text column is never taken.
    """
    found = []
    for col in table.columns:
        if col.name in used:
            continue
        counts = Counter(cell for _, cell in table.values(col.name) if cell is not None)
        if not counts:
            continue
        levels = {cell: _group_of(cell, col, lookup) for cell in counts}
        labelled = sum(n for cell, n in counts.items() if levels[cell] is not None)
        if len(set(levels.values()) - {None}) >= 2 and labelled >= 0.9 * counts.total():
            found.append(col)
    return found[0] if len(found) == 1 else None


class _Exclusions:
    """Rows taken out of the analysis; each is listed in the quality log with its reason."""

    def __init__(self, log: QualityLog, file_name: str) -> None:
        self.log = log
        self.file_name = file_name
        self.messages: dict[int, str] = {}

    def __contains__(self, row: int) -> bool:
        return row in self.messages

    def add(
        self,
        row: int,
        reason: str,
        column: str | None,
        value: object,
        fix: str,
        *,
        detail: str = "",
    ) -> None:
        """Exclude ``row`` for ``reason`` (counted as is); ``detail`` is added to the message."""
        message = f"respondent excluded: {reason}{detail}"
        self.messages[row] = located(message, row=row, column=column, value=value)
        text = located(message, file=self.file_name, row=row, column=column, value=value, fix=fix)
        self.log.add("excluded", text, row=row, column=column, value=value, reason=reason)

    def first_reason(self) -> str:
        """Where and why the first row was excluded, without its fix (for a one-line error)."""
        return next(iter(self.messages.values()), "none")


def _read_groups(
    table: RawTable,
    column: str,
    instrument: Instrument,
    lookup: Mapping[str, str],
    excluded: _Exclusions,
) -> dict[int, str]:
    """Each row's group level; a row with a blank or unknown label is excluded and listed."""
    col = table.column(column)
    levels = ", ".join(instrument.groups.levels)
    groups: dict[int, str] = {}
    cells = table.values(column)
    level_of = {cell: _group_of(cell, col, lookup) for cell in dict.fromkeys(c for _, c in cells)}
    for row, cell in cells:
        if row in excluded:
            continue
        level = level_of[cell]
        if level is not None:
            groups[row] = level
        elif cell is None or normalize_text(cell) in MISSING_ANSWERS or col.is_user_missing(cell):
            excluded.add(row, "no group given", column, cell,
                         f"fill in the group ({levels}) if it is known")
        else:
            shown = col.value_labels.get(cell, cell)
            excluded.add(
                row,
                "unknown group label",
                column,
                shown,
                f"add it to the params file, group_labels: {{<level>: [{_header_text(shown)!r}]}}, "
                f"with <level> one of {levels}",
            )
    return groups


def _read_ids(table: RawTable, column: str, excluded: _Exclusions) -> dict[int, object]:
    """Each row's respondent id (as text); a blank or repeated id is excluded and listed."""
    ids: dict[int, object] = {}
    first_seen: dict[str, int] = {}
    for row, cell in table.values(column):
        if row in excluded:
            continue
        if cell is None:
            excluded.add(row, "no respondent id", column, None,
                         "fill in the id, or leave respondent_id out of the columns mapping to "
                         "number respondents by row")
            continue
        key = _header_text(cell)
        if key in first_seen:
            excluded.add(row, "repeated respondent id", column, cell,
                         "give each respondent a unique id, or delete the repeated response",
                         detail=f" (first in row {first_seen[key]})")
            continue
        first_seen[key] = row
        ids[row] = key
    return ids


def _group_column(
    table: RawTable,
    instrument: Instrument,
    plan: _ColumnPlan,
    lookup: Mapping[str, str],
    log: QualityLog,
) -> str:
    """The group column: mapped or named after the group, else recognised by its values."""
    group_field = instrument.groups.column
    named = plan.fields.get(group_field)
    if named is not None:
        return named
    guessed = _guess_group_column(table, lookup, {n for n in plan.fields.values() if n})
    if guessed is None:
        close = _closest_columns(table, group_field, "group", "role")
        raise DataError(
            located(
                f"no group column {group_field!r} (levels "
                f"{', '.join(instrument.groups.levels)}); closest columns: "
                f"{_describe_choices(close)}",
                file=table.path,
                fix=f"name the column in the params file: columns: {{{group_field}: <column>}}",
            )
        )
    log.add("note", f"group column {group_field!r} read from column {guessed.name!r}, whose "
                    "values are group labels")
    return guessed.name


# -- load ------------------------------------------------------------------------------------


def load(
    path: str | Path,
    instrument: str | Path | Instrument = "cem-maturity",
    *,
    columns: Mapping[str, str | None] | None = None,
    group_labels: Mapping[str, Iterable[str]] | None = None,
    sheet: str | int | None = None,
    min_group_size: int = 5,
) -> Survey:
    """Read a client's survey file into a validated `Survey`.

    Parameters
    ----------
    path
        CSV, Excel ``.xlsx``, SPSS ``.sav``, or a Qualtrics / SurveyMonkey CSV export; the format
        is detected from the content. The file is never written to.
    instrument
        A built-in instrument name, a path to an instrument YAML, or an `Instrument`.
    columns
        Where each field is when the headers do not say: item id -> column name (or ``None``:
        the question was not asked), and the group column (``role`` for cem-maturity, or
        ``group``), ``respondent_id``, ``segment``, ``weight``, ``wave``. A column is named by
        its header, any header row's text (question text) or its spreadsheet letter.
    group_labels
        Level -> the labels the client's file uses for it, on top of the instrument's own
        ``groups.labels``; compared ignoring case, spaces and punctuation.
    sheet
        The Excel sheet (name or 0-based position); default the first.
    min_group_size
        Kept on the Survey: analyses suppress figures of groups smaller than this, and
        `cemlab validate` names them.

    Returns
    -------
    Survey
        Responses indexed by respondent id (a respondent-id column, Qualtrics ``ResponseId``,
        SurveyMonkey ``Respondent ID``, else the spreadsheet row number); item columns float,
        the group column categorical in the instrument's level order. The quality log lists
        every row excluded (unknown or blank group, duplicate id, malformed row) and every
        answer set missing ("Don't know", SPSS user-missing codes, out of range, not a number),
        each with the spreadsheet row, the column and the value.

    Raises
    ------
    DataError
        The file cannot be read, a question or the group column is missing (the message lists
        the closest column names), or no respondent is left. The message names the file, the
        row, the column, the value and the fix.

    Notes
    -----
    Matching order for each item: the ``columns`` mapping, then a column named like the item
    id, then a header (any header row) carrying the statement text, ignoring case, accents,
    spacing and punctuation; a header that ends in the statement after a separator
    ("Q5 - Leaders make ...", "Please rate ... - Leaders make ...") also matches.
    """
    path = Path(path)
    instrument = load_instrument(instrument)
    table = read_table(path, sheet=sheet)
    lookup = _group_lookup(instrument, group_labels or {}, path)
    _restore_labelled_notes(table, lookup)
    plan = _plan_columns(table, instrument, columns or {})
    log = QualityLog(source=str(path), rows_read=len(table.cells))
    log.reading = table.describe()
    for note in plan.notes:
        log.add("note", note)
    if table.blank_rows:
        log.add(
            "note",
            f"{len(table.blank_rows)} empty row(s) skipped: rows "
            + ", ".join(str(r) for r in table.blank_rows[:20])
            + (" ..." if len(table.blank_rows) > 20 else ""),
        )

    for row, (column, text) in table.note_rows.items():
        log.add(
            "note",
            located("a note below the data (one cell filled), not a response: left out",
                    file=path.name, row=row, column=column, value=text,
                    fix="if it is a response, fill in its other cells"),
            row=row,
            column=column,
            value=text,
            reason="note below the data",
        )

    group_field = instrument.groups.column
    group_name = _group_column(table, instrument, plan, lookup, log)
    log.columns = {k: v for k, v in plan.fields.items() if v} | {group_field: group_name}
    excluded = _Exclusions(log, path.name)
    for row, detail in table.malformed_rows.items():
        excluded.add(row, "more cells than the header", None, None,
                     "quote answers that contain the delimiter, or export the file again",
                     detail=f": {detail}")
    groups = _read_groups(table, group_name, instrument, lookup, excluded)
    id_name = plan.fields.get("respondent_id")
    if id_name is None:
        ids: dict[int, object] = {row: row for row in table.cells.index}
    else:
        ids = _read_ids(table, id_name, excluded)

    kept = [row for row in table.cells.index if row not in excluded]
    if not kept:
        raise DataError(
            located(
                f"no respondent left: all {len(table.cells)} rows were excluded, the first "
                f"because {excluded.first_reason()}",
                file=path,
                fix="see the exclusions listed by `cemlab validate`; most often the group "
                "labels need mapping in group_labels",
            )
        )

    # answers
    responses = pd.DataFrame(index=pd.Index([ids[r] for r in kept], name="respondent"))
    for item_id in answer_fields(instrument):
        column = plan.fields.get(item_id)
        if column is None:
            continue
        scale = instrument.scale_of(item_id)
        responses[item_id] = _read_item(table, column, item_id, scale.min, scale.max, kept, log)
    responses[group_field] = pd.Categorical(
        [groups[r] for r in kept], categories=instrument.groups.levels
    )
    for extra in ("segment", "wave"):
        column = plan.fields.get(extra)
        if column and extra != group_field:
            responses[extra] = pd.Series(
                [None if c is None else _header_text(c) for _, c in table.values(column, kept)],
                index=responses.index,
                dtype="str",
            )
    weight_column = plan.fields.get("weight")
    if weight_column:
        responses["weight"] = _read_weights(table, weight_column, kept, log)

    return Survey(responses, instrument, log, path, min_group_size=min_group_size)


def _restore_labelled_notes(table: RawTable, lookup: Mapping[str, str]) -> None:
    """Give the notes below the data, up to the last that is a group label, back as responses.

    `read_table` sets aside one-cell text rows below the data but cannot know the group labels:
    a last row with only "Staff" in it is a respondent, as it would be above other responses,
    and so is every one-cell row above it.
    """
    # a note in a blank column that `read_table` dropped is in no column of the table: it stays
    kept_columns = set(table.cells.columns)
    last_label = max(
        (row for row, (column, text) in table.note_rows.items()
         if column in kept_columns and _group_of(text, table.column(column), lookup) is not None),
        default=0,
    )
    back = {row: table.note_rows[row] for row, (column, _) in table.note_rows.items()
            if row <= last_label and column in kept_columns}
    if not back:
        return
    for row in back:
        del table.note_rows[row]
    given_back = pd.DataFrame(
        [[text if name == column else None for name in table.cells.columns]
         for column, text in back.values()],
        index=pd.Index(list(back), name="row"),
        columns=table.cells.columns,
        dtype=object,
    )
    table.cells = pd.concat([table.cells, given_back])


def _read_item(
    table: RawTable,
    column: str,
    item_id: str,
    low: int,
    high: int,
    rows: list[int],
    log: QualityLog,
) -> list[float]:
    """One item's scores for ``rows``; every non-blank cell set missing is logged."""
    col = table.column(column)
    cells = table.values(column, rows)
    distinct = dict.fromkeys(cell for _, cell in cells)
    meanings = {cell: _read_answer(cell, col, low, high) for cell in distinct}
    if all(m.value is None for m in meanings.values()):
        texts = [(row, c) for row, c in cells if meanings[c].kind == "not a number"]
        if texts:
            row, cell = texts[0]
            raise DataError(
                located(
                    f"column for item {item_id} holds text, not scores on the {low}-{high} scale",
                    file=table.path,
                    row=row,
                    column=column,
                    value=cell,
                    fix="export the answers as numbers (Qualtrics: 'use numeric values'; "
                    "SurveyMonkey: numerical values), or map the right column in columns:",
                )
            )
    log.blank[item_id] = sum(cell is None for _, cell in cells)
    scores = []
    for row, cell in cells:
        meaning = meanings[cell]
        scores.append(math.nan if meaning.value is None else meaning.value)
        if not meaning.kind:
            continue
        if meaning.kind == "no answer":
            message, fix = f"read as missing: {meaning.problem}", None
        elif meaning.kind == "not whole":
            message = f"answer to {item_id} set missing: {meaning.problem}"
            fix = (
                f"answers are whole numbers from {low} to {high}: correct it in the client's "
                "file, or leave it empty"
            )
        else:
            message = f"answer to {item_id} set missing: {meaning.problem}"
            fix = (
                f"correct it in the client's file to a whole number from {low} to {high}, "
                "or leave it empty"
            )
        log.add(
            "missing",
            located(message, file=table.path.name, row=row, column=column, value=cell, fix=fix),
            row=row,
            column=column,
            value=cell,
            reason=meaning.problem,
        )
    return scores


def _read_weights(table: RawTable, column: str, rows: list[int], log: QualityLog) -> list[float]:
    """Survey weights: positive numbers; anything else is logged and left missing."""
    weights = []
    for row, cell in table.values(column, rows):
        number = None if cell is None else _to_number(cell)
        if cell is not None and (number is None or number <= 0):
            log.add(
                "missing",
                located("weight set missing: not a positive number", file=table.path.name,
                        row=row, column=column, value=cell, fix="correct the weight"),
                row=row,
                column=column,
                value=cell,
                reason="weight not a positive number",
            )
            number = None
        weights.append(math.nan if number is None else number)
    return weights
