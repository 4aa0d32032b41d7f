"""Reading client files: the real exports in ../shared/realdata and a corpus of bad files.

Expected counts come from each real file's SOURCE.md (R foreign / qualtRics / psych outputs
and the publisher's own figures); the bad files are written here, and every message is checked
for the file, the spreadsheet row, the column, the value and the fix.
"""

from __future__ import annotations

import json
import math

import openpyxl
import pandas as pd
import pytest
import yaml
from _io_fixtures import MINI, REALDATA, needs_realdata, sha256, write_csv, write_instrument

from cemlab import DataError, load, load_instrument, read_table
from cemlab.io import column_letter, normalize_text
from cemlab.io.encoding import _VOWELS_1250, _VOWELS_1252

CEM = load_instrument("cem-maturity")


# -- real files ------------------------------------------------------------------------------


def _instrument(tmp_path, items, *, scale=(1, 5), column="role",
                levels=("management", "staff"), labels=None, name="test.yaml"):
    """A one-dimension instrument whose items are (id, text) pairs."""
    low, high = scale
    middle = (low + high) // 2
    spec = {
        "name": "test",
        "scale": {"min": low, "max": high},
        "bands": {"disagree": [low, middle - 1], "neutral": [middle, middle],
                  "agree": [middle + 1, high]},
        "groups": {"column": column, "levels": list(levels), "labels": labels or {}},
        "dimensions": [{"id": "d", "title": "D", "items": [
            {"id": i, "text": t, "source": "cemlab"} for i, t in items]}],
    }
    return write_instrument(tmp_path, spec, name)


@needs_realdata
def test_qualtrics_current_export_three_header_rows(tmp_path):
    # SOURCE.md: 3 header rows (names, German question text, ImportId JSON), 1 response, 20
    # columns; qualtRics read_survey() gives 1 row x 20 columns; Q1 = 2, ResponseId
    # R_2YPOQ602ER1jkf1.
    path = REALDATA / "qualtrics-export" / "sample.csv"
    before = sha256(path)
    table = read_table(path)
    assert (table.layout, len(table.header_rows), table.first_data_row) == ("qualtrics", 3, 4)
    assert len(table.columns) == 20 and list(table.cells.index) == [4]
    assert table.column("Q1").texts == ["Q1", "This is a multiple choice question.", "QID1"]

    # the item is matched by the question text row (row 2), not by its name
    instrument = _instrument(tmp_path, [("choice", "This is a multiple choice question")])
    survey = load(path, instrument, columns={"role": "UserLanguage"},
                  group_labels={"staff": ["DE"]}, min_group_size=1)
    assert survey.quality.columns["choice"] == "Q1"
    assert survey.responses.index.tolist() == ["R_2YPOQ602ER1jkf1"]
    assert survey.responses.loc["R_2YPOQ602ER1jkf1", "choice"] == 2.0
    assert survey.responses["role"].tolist() == ["staff"]
    assert sha256(path) == before


@needs_realdata
def test_qualtrics_legacy_export_two_header_rows(tmp_path):
    # SOURCE.md: V1..V10, Q1, Q2, Location* names; row 2 ResponseID, ..., question texts; UTF-8
    # with BOM and a trailing comma; qualtRics gives 1 row x 15 columns (empty column dropped).
    path = REALDATA / "qualtrics-export" / "sample_legacy.csv"
    before = sha256(path)
    table = read_table(path)
    assert (table.layout, table.encoding, table.first_data_row) == (
        "qualtrics-legacy", "UTF-8 with BOM", 3)
    assert len(table.columns) == 15 and list(table.cells.index) == [3]

    instrument = _instrument(tmp_path, [("choice", "This is a multiple choice question.")])
    survey = load(path, instrument, columns={"role": "Status"}, group_labels={"staff": ["0"]},
                  min_group_size=1)
    assert survey.quality.columns == {"choice": "Q1", "role": "V7", "respondent_id": "V1"}
    assert survey.responses.index.tolist() == ["R_2YPOQ602ER1jkf1"]  # from V1 "ResponseID"
    assert survey.responses["choice"].tolist() == [2.0]
    assert sha256(path) == before


@needs_realdata
def test_spss_testdata_value_labels_and_user_missing(tmp_path):
    # SOURCE.md / R foreign spss.Rout.save: factor_numeric 1, 2, 3, -1 (user-missing -1..0),
    # sysmis -> NA at cases 4 and 5; factor_n_coded_miss 1, 2, 99 ("no answer", user-missing),
    # 5, sysmis. factor_n_undeclared 1, 2, 4, 3, 1 with labels only for 1 and 5.
    path = REALDATA / "spss-sav" / "testdata.sav"
    before = sha256(path)
    instrument = _instrument(tmp_path, [
        ("factor_numeric", "numeric factor with missing range"),
        ("coded", "numeric factor with coded missing values"),  # matched by variable label
    ], levels=("low", "high"))
    survey = load(
        path, instrument,
        columns={"role": "factor_n_undeclared"},
        # "strongly disagree" is code 1's value label: labels are applied before matching
        group_labels={"low": ["strongly disagree", "2"], "high": ["3", "4"]},
        min_group_size=1,
    )
    r = survey.responses
    assert r.index.tolist() == [1, 2, 3, 4, 5]  # SPSS case numbers
    assert r["factor_numeric"].tolist()[:3] == [1.0, 2.0, 3.0]
    assert r["factor_numeric"].isna().tolist() == [False, False, False, True, True]
    assert r["coded"].isna().tolist() == [False, False, True, False, True]
    assert r.loc[4, "coded"] == 5.0
    assert r["role"].tolist() == ["low", "low", "high", "high", "low"]
    assert survey.quality.columns["coded"] == "factor_n_coded_miss"
    # the two user-missing codes are listed; the sysmis cells are simply blank
    listed = [(i.row, i.column, i.value) for i in survey.quality.set_missing]
    assert listed == [(4, "factor_numeric", -1.0), (3, "factor_n_coded_miss", 99.0)]
    assert "SPSS user-missing code 99.0 ('no answer')" in survey.quality.set_missing[1].message
    assert sha256(path) == before


@needs_realdata
def test_spss_electric_string_labels_and_missing_day(tmp_path):
    # R foreign summary(read.spss("electric.sav")): DAYOFWK 130 NA (code 9 "MISSING" is declared
    # user-missing), FAMHXCVR NO 178 / YES 62 (string codes 'N'/'Y' with value labels),
    # FIRSTCHD NO CHD 120, SUDDEN DEATH 36, NONFATALMI 72, FATAL MI 9, OTHER CHD 3.
    path = REALDATA / "spss-sav" / "electric.sav"
    before = sha256(path)
    spec = {
        "name": "electric", "scale": {"min": 1, "max": 7},
        "bands": {"disagree": [1, 3], "neutral": [4, 4], "agree": [5, 7]},
        "groups": {"column": "history", "levels": ["yes", "no"]},
        "dimensions": [{"id": "d", "title": "D", "items": [
            {"id": "DAYOFWK", "text": "Day of death", "source": "cemlab"},
            {"id": "FIRSTCHD", "text": "First CHD event", "source": "cemlab",
             "scale": {"min": 1, "max": 6},
             "bands": {"disagree": [1, 2], "neutral": [3, 4], "agree": [5, 6]}},
        ]}],
    }
    survey = load(path, write_instrument(tmp_path, spec),
                  columns={"history": "FAMHXCVR", "respondent_id": "CASEID"})
    r = survey.responses
    assert survey.n == 240 and r.index[0] == "13" and r.index.is_unique
    assert r["DAYOFWK"].isna().sum() == 130
    assert len(survey.quality.set_missing) == 130
    assert {i.value for i in survey.quality.set_missing} == {9.0}
    assert survey.group_sizes().to_dict() == {"yes": 62, "no": 178}
    assert r["FIRSTCHD"].value_counts().to_dict() == {1.0: 120, 3.0: 72, 2.0: 36, 5.0: 9, 6.0: 3}
    assert survey.quality.reading.startswith("SAV SPSS data file, WINDOWS-1252")
    assert sha256(path) == before


@needs_realdata
def test_bfi_csv_with_a_six_point_instrument(tmp_path):
    # SOURCE.md: 2,800 rows, 25 items on 1-6, A1 2,784 answers, gender 1 = male (919),
    # 2 = female (1,881), education empty in 223 rows. Its "731 missing cells" are those of the
    # whole file: 508 in the 25 items (pandas isna on the CSV) + education's 223.
    items = [(f"{f}{i}", f"bfi item {f}{i}") for f in "ACENO" for i in range(1, 6)]
    instrument = _instrument(tmp_path, items, scale=(1, 6), column="gender",
                             levels=("male", "female"), labels={"male": ["1"], "female": ["2"]})
    path = REALDATA / "psych-bfi" / "bfi.csv"
    before = sha256(path)
    survey = load(path, instrument, columns={"segment": "education"})
    assert survey.n == 2800
    assert survey.items.isna().sum().sum() == sum(survey.quality.blank.values()) == 508
    assert survey.items.isna().sum().sum() + survey.responses["segment"].isna().sum() == 731
    assert survey.responses["segment"].value_counts().to_dict() == {
        "3": 1249, "5": 418, "4": 394, "2": 292, "1": 224}
    assert survey.items["A1"].notna().sum() == 2784
    assert survey.group_sizes().to_dict() == {"male": 919, "female": 1881}
    assert survey.responses.index[0] == "61617"  # the "id" column is the respondent id
    assert survey.quality.excluded == [] and survey.quality.set_missing == []
    assert survey.items.dtypes.unique().tolist() == ["float64"]
    assert sha256(path) == before


#: The SurveyMonkey file's group question (column 10) and its answers, as three levels.
COMPANY_SIZE = "How many people work for your company or organization?"
COMPANY_SIZES = {"small": ["2-50", "51-250", "251-1,000", "Self-employed or not working"],
                 "large": ["1,000-10,000", "Greater than 10,000"], "unknown": ["Don't know"]}


@needs_realdata
def test_surveymonkey_two_header_rows_and_numbered_labels(tmp_path):
    # SOURCE.md: 748 responses below 2 header rows; column 78 (0-based) "On a scale of 1-5, how
    # business-critical ..." with labels "1 – Extremely critical" .. "5 – Not at all critical",
    # 161 answers; published: very or extremely critical = 31.7% + 27.3% = 59% of 161.
    question = ("On a scale of 1-5, how business-critical is your open source program to the "
                "success of your engineering or product teams? (1= extremely critical, 5 = not "
                "at all critical)")  # the file has non-breaking spaces; matching ignores them
    instrument = _instrument(tmp_path, [("critical", question)], column="size",
                             levels=("small", "large", "unknown"), labels=COMPANY_SIZES)
    path = REALDATA / "surveymonkey-export" / "results.csv"
    before = sha256(path)
    table = read_table(path)
    assert (table.layout, table.first_data_row, len(table.cells)) == ("surveymonkey", 3, 748)
    [critical] = [c for c in table.columns if c.letter == column_letter(78)]
    assert critical.name.startswith("On a scale of 1-5") and critical.texts[1] == "Response"

    survey = load(path, instrument, columns={"size": COMPANY_SIZE})
    answers = survey.responses["critical"]
    assert survey.n == 748 and answers.notna().sum() == 161
    assert answers.value_counts().to_dict() == {1.0: 51, 3.0: 46, 2.0: 44, 4.0: 17, 5.0: 3}
    assert round(100 * answers.isin([1, 2]).sum() / 161) == 59
    assert survey.responses.index[0] == "10103000748"  # Respondent ID
    assert sha256(path) == before


# -- a Qualtrics matrix export of the CEM instrument ----------------------------------------


def _qualtrics_cem_export(path, answers):
    """A current-format Qualtrics export of cem-maturity as a matrix question Q5."""
    names = ["ResponseId", "Q1"] + [f"Q5_{i}" for i in range(1, 22)]
    texts = ["Response ID", "What is your role?"] + [
        # Qualtrics writes "<question> - <statement>"; alternate the two common shapes
        (f"Q5 - {item.text}" if i % 2 else f"How much do you agree? - {item.text}")
        for i, item in enumerate(CEM.items)
    ]
    import_ids = [json.dumps({"ImportId": n}) for n in ["_recordId", "QID1"] + names[2:]]
    rows = [names, texts, import_ids]
    for rid, (role, scores) in enumerate(answers, start=1):
        rows.append([f"R_{rid}", role, *scores])
    return write_csv(path, rows)


def test_qualtrics_matrix_headers_match_statements_and_rows_count_three_headers(tmp_path):
    scores = [7] * 21
    bad = list(scores)
    bad[3] = 11  # own_partnership out of the 1-10 scale in the second response
    path = _qualtrics_cem_export(tmp_path / "export.csv", [
        ("Senior management", scores), ("Staff", bad), ("Employee", scores),
    ])
    survey = load(path)
    assert survey.quality.columns["lead_decisions"] == "Q5_1"
    assert survey.quality.columns["kpi_reward"] == "Q5_21"
    assert survey.quality.columns["role"] == "Q1"  # found by its values, all group labels
    assert survey.responses.index.tolist() == ["R_1", "R_2", "R_3"]
    assert survey.responses["role"].tolist() == ["management", "staff", "staff"]
    assert math.isnan(survey.responses.loc["R_2", "own_partnership"])
    [issue] = survey.quality.set_missing
    # the second response is on row 5 of the spreadsheet: 3 header rows, then rows 4, 5, 6
    assert (issue.row, issue.column, issue.value) == (5, "Q5_4", "11")
    for part in ("export.csv", "row 5", "column 'Q5_4'", "outside the 1-10 scale", "'11'",
                 "Fix: correct it"):
        assert part in issue.message


# -- formats ---------------------------------------------------------------------------------


def _cem_rows(roles, scores=None):
    header = ["Stanowisko", *CEM.item_ids]
    rows = [header]
    for n, role in enumerate(roles):
        rows.append([role, *(scores[n] if scores else [5] * 21)])
    return rows


def test_polish_excel_csv_windows_1250_semicolon_decimal_comma(tmp_path):
    header = ["Nr ankiety", "Stanowisko", "Waga", *CEM.item_ids]
    data = [
        ["101", "Kierownictwo", "1,25", *["7"] * 21],
        ["102", "Zarząd", "0,75", "nie wiem", "6,5", *["7,0"] * 19],  # 6,5 is not a score
        ["103", "Pracownik", "1", *["3"] * 20, "NIE WIEM"],
        ["104", "pracownik", "1,5", *["10"] * 21],
        ["105", "ZARZAD", "1", *["-"] * 21],  # typed without Polish letters; "-" = no answer
    ]
    path = write_csv(tmp_path / "ankieta.csv", [header, *data], delimiter=";", encoding="cp1250")
    before = sha256(path)
    assert "Zarząd".encode("cp1250") in path.read_bytes()  # really Windows-1250 on disk

    survey = load(path, columns={"respondent_id": "Nr ankiety", "weight": "Waga"})
    table = read_table(path)
    assert (table.encoding, table.delimiter) == ("Windows-1250", ";")
    expected = pd.DataFrame(
        {item: [7.0, 7.0, 3.0, 10.0, math.nan] for item in CEM.item_ids},
        index=["101", "102", "103", "104", "105"],
    )
    expected.loc["102", ["lead_decisions", "lead_commitment"]] = math.nan
    expected.loc["103", "kpi_reward"] = math.nan
    pd.testing.assert_frame_equal(
        survey.items, expected.rename_axis("respondent"), check_index_type=False
    )
    assert survey.responses["role"].tolist() == [
        "management", "management", "staff", "staff", "management"]
    assert survey.responses["weight"].tolist() == [1.25, 0.75, 1.0, 1.5, 1.0]
    set_missing = sorted((i.row, i.value) for i in survey.quality.set_missing)
    assert set_missing == [(3, "6,5"), (3, "nie wiem"), (4, "NIE WIEM"), *[(6, "-")] * 21]
    assert sha256(path) == before


def test_windows_1252_file_is_not_taken_for_polish(tmp_path):
    rows = [["¿Rol?", "q1", "q2", "q3"], ["Señora Dirección", 4, 5, 3], ["Employé £", 2, 2, 2]]
    path = write_csv(tmp_path / "w.csv", rows, delimiter="\t", encoding="cp1252")
    table = read_table(path)
    assert (table.encoding, table.delimiter) == ("Windows-1252", "\t")
    assert table.columns[0].name == "¿Rol?"
    assert table.cells.iloc[0, 0] == "Señora Dirección"


def test_windows_1250_with_only_letters_that_1252_shares(tmp_path):
    # ć and ę are bytes E6 and EA, which Windows-1252 reads as the letters æ and ê
    # ("Trudno powiedzieæ"): where they stand in the word must decide
    rows = [["Stanowisko", "q1", "q2", "q3"],
            ["Pracownik", "Trudno powiedzieć", "Nie dotyczę", 4], ["Kierownictwo", 3, 3, 3]]
    path = write_csv(tmp_path / "ankieta.csv", rows, delimiter=";", encoding="cp1250")
    assert {b for b in path.read_bytes() if b > 127} == {0xE6, 0xEA}
    table = read_table(path)
    assert table.encoding == "Windows-1250"
    assert table.cells.loc[2].tolist() == ["Pracownik", "Trudno powiedzieć", "Nie dotyczę", "4"]
    survey = load(path, write_instrument(tmp_path), min_group_size=1,
                  group_labels={"staff": ["Pracownik"], "management": ["Kierownictwo"]})
    assert [(i.row, i.column, i.reason) for i in survey.quality.set_missing] == [
        (2, "q1", "'Trudno powiedzieć' means no answer"),
        (2, "q2", "'Nie dotyczę' means no answer"),
    ]


@pytest.mark.parametrize(
    "words",
    [["España", "año", "Señora"], ["Cœur de métier", "être", "fête"], ["Lærer", "være", "Træ"],
     ["Você", "não", "Função"]],
    ids=["spanish", "french", "danish", "portuguese"],
)
def test_western_words_with_those_bytes_stay_windows_1252(tmp_path, words):
    path = write_csv(tmp_path / "w.csv", [["role", "q1", "q2"], words], encoding="cp1252")
    table = read_table(path)
    assert table.encoding == "Windows-1252"
    assert table.cells.loc[2].tolist() == words


@pytest.mark.parametrize(
    ("words", "encoding"),
    [
        # a word-final ê (ę in 1250) alone: Portuguese "você" is not Polish "się"
        (["Você recomendaria?", "Sim", "Talvez"], "Windows-1252"),
        (["Qual a probabilidade de você recomendar?", "1", "2"], "Windows-1252"),
        (["Você", "você", "VOCÊ"], "Windows-1252"),  # one word, however often
        (["næste", "mænd", "være"], "Windows-1252"),  # æ (ć in 1250) before a consonant
        (["Maćkowiak", "Kaśka", "4"], "Windows-1250"),  # ś before a consonant is Polish
        (["Proszę", "się", "4"], "Windows-1250"),  # two words ending in ę
        (["Miłość", "jeść", "4"], "Windows-1250"),  # ść: œ before æ in 1252
    ],
    ids=["voce-question", "voce-probability", "voce-repeated", "danish", "polish-names",
         "polish-final-e", "polish-sc"],
)
def test_where_the_shared_letters_stand_decides_the_code_page(tmp_path, words, encoding):
    codec = {"Windows-1250": "cp1250", "Windows-1252": "cp1252"}[encoding]
    path = write_csv(tmp_path / "w.csv", [["role", "q1", "q2"], words], delimiter=";",
                     encoding=codec)
    table = read_table(path)
    assert table.encoding == encoding
    assert table.cells.loc[2].tolist() == words


def test_vowels_are_letters_their_code_page_decodes():
    # a neighbour is read in the decoding being tested, so any other letter could never match
    assert all(len(v.encode("cp1250")) == 1 for v in _VOWELS_1250)
    assert all(len(v.encode("cp1252")) == 1 for v in _VOWELS_1252)


def test_utf8_bom_and_numbered_likert_labels(tmp_path):
    instrument = write_instrument(tmp_path)
    rows = [["role", "q1", "q2", "q3"],
            ["staff", "5 - Strongly agree", "1 = Strongly disagree", "4. Agree"],
            ["Senior management", "3 – Neutral", "2", "Don't know"]]
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(",".join(r) for r in rows).encode())
    survey = load(path, instrument, min_group_size=1)
    assert read_table(path).encoding == "UTF-8 with BOM"
    assert survey.items.values.tolist()[0] == [5.0, 1.0, 4.0]
    assert survey.items.values.tolist()[1][:2] == [3.0, 2.0]
    assert survey.responses.index.tolist() == [2, 3]  # no id column: spreadsheet row numbers
    [dk] = survey.quality.set_missing
    assert (dk.row, dk.column, dk.value) == (3, "q3", "Don't know")


def test_xlsx_sheet_selection_and_row_numbers(tmp_path):
    instrument = write_instrument(tmp_path)
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["This sheet is the client's cover note"])
    sheet = book.create_sheet("Responses")
    sheet.append(["role", "q1", "q2", "q3"])
    sheet.append(["staff", 4, 5, 3])
    sheet.append([None, None, None, None])  # an empty row in the middle keeps its number
    sheet.append(["management", 2, 9, 1])
    path = tmp_path / "client.xlsx"
    book.save(path)
    before = sha256(path)

    survey = load(path, instrument, sheet="Responses", min_group_size=1)
    assert survey.responses.index.tolist() == [2, 4]
    assert survey.items.loc[2].tolist() == [4.0, 5.0, 3.0]
    [issue] = survey.quality.set_missing
    assert (issue.row, issue.column, issue.value) == (4, "q2", 9)
    assert survey.quality.issues[0].message == "1 empty row(s) skipped: rows 3"
    assert load(path, instrument, sheet=1, min_group_size=1).n == 2

    with pytest.raises(DataError) as err:
        load(path, instrument, sheet="Data")
    assert "no sheet 'Data'" in str(err.value) and "'Notes', 'Responses'" in str(err.value)
    assert sha256(path) == before


def test_title_rows_above_the_header_keep_the_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Acme - employee survey 2026"])
    sheet.append([])
    sheet.append(["role", "q1", "q2", "q3"])
    sheet.append(["staff", 1, 2, 3])
    sheet.append(["management", 4, 8, 4])
    path = tmp_path / "report.xlsx"
    book.save(path)
    table = read_table(path)
    assert (table.title_rows, table.first_data_row) == (2, 4)
    assert "2 row(s) above the header skipped" in table.describe()
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.responses.index.tolist() == [4, 5]
    assert survey.quality.set_missing[0].row == 5


def test_unnamed_trailing_columns_do_not_exclude_every_row(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("role,q1,q2,q3\nstaff,1,2,3,x\nstaff,2,2,2,y\n", encoding="utf-8")
    table = read_table(path)
    assert [c.name for c in table.columns] == ["role", "q1", "q2", "q3", "column E"]
    assert load(path, write_instrument(tmp_path), min_group_size=1).n == 2


def test_recommend_item_read_on_its_0_to_10_scale(tmp_path):
    feedback = load_instrument("customer-feedback")
    header = ["segment", "How likely are you to recommend us to a friend or colleague?",
              *feedback.item_ids]
    rows = [header, ["Consumer", 0, *[8] * 6], ["business", 10, *[9] * 6], ["firma", 11, *[1] * 6]]
    survey = load(write_csv(tmp_path / "nps.csv", rows), "customer-feedback", min_group_size=1)
    assert survey.responses["ltr"].tolist()[:2] == [0.0, 10.0]
    assert math.isnan(survey.responses["ltr"].iloc[2])
    assert survey.responses["segment"].tolist() == ["consumer", "business", "business"]
    [issue] = survey.quality.set_missing
    assert "outside the 0-10 scale" in issue.message and issue.row == 4


def test_columns_mapping_by_name_letter_and_not_asked(tmp_path):
    instrument = write_instrument(tmp_path)
    rows = [["Position", "A", "Second"], ["Staff", 1, 2], ["Management", 3, 4]]
    path = write_csv(tmp_path / "m.csv", rows)
    survey = load(path, instrument, columns={"role": "Position", "q1": "B", "q2": "Second",
                                             "q3": None}, min_group_size=1)
    assert survey.item_ids == ["q1", "q2"]
    assert survey.items.values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert "q3: not asked (columns mapping says null)" in [i.message for i in
                                                           survey.quality.issues]


# -- bad input: a clear message, nothing lost -----------------------------------------------


def _mini_file(tmp_path, rows, name="survey.csv", **kw):
    return write_csv(tmp_path / name, [["id", "role", "q1", "q2", "q3"], *rows], **kw)


def test_out_of_range_and_non_numeric_answers_are_set_missing_and_listed(tmp_path):
    path = _mini_file(tmp_path, [["a", "staff", 1, 2, 3], ["b", "staff", 7, "abc", 0],
                                 ["c", "staff", 5, 5, 5]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.n == 3
    assert survey.responses.loc["b", ["q1", "q2", "q3"]].isna().all()
    messages = {i.column: i.message for i in survey.quality.set_missing}
    assert messages["q1"] == (
        "survey.csv, row 3, column 'q1': answer to q1 set missing: outside the 1-5 scale "
        "(value '7'). Fix: correct it in the client's file to a whole number from 1 to 5, or "
        "leave it empty"
    )
    assert "row 3, column 'q2'" in messages["q2"] and "not a number on the 1-5 scale" in \
        messages["q2"] and "'abc'" in messages["q2"]
    assert "(value '0')" in messages["q3"]


def test_answers_between_two_scores_are_set_missing_and_listed(tmp_path):
    # 1-5 answers are whole numbers: 3.5 (a number in Excel) and "2,5" (decimal comma) are
    # not answers; 4.0 and "5,0" are the scores 4 and 5
    book = openpyxl.Workbook()
    for row in (["id", "role", "q1", "q2", "q3"], ["a", "staff", 3.5, "2,5", 4.0],
                ["b", "staff", 1, 2, "5,0"]):
        book.active.append(row)
    path = tmp_path / "halves.xlsx"
    book.save(path)
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.items.loc["a"].isna().tolist() == [True, True, False]
    assert survey.items.loc["a", "q3"] == 4.0 and survey.items.loc["b", "q3"] == 5.0
    first, second = survey.quality.set_missing
    assert first.message == (
        "halves.xlsx, row 2, column 'q1': answer to q1 set missing: not a whole number on the "
        "1-5 scale (value 3.5). Fix: answers are whole numbers from 1 to 5: correct it in the "
        "client's file, or leave it empty"
    )
    assert (second.row, second.column, second.value) == (2, "q2", "2,5")
    assert second.reason == "not a whole number on the 1-5 scale"


def test_a_column_of_text_answers_is_fatal(tmp_path):
    path = _mini_file(tmp_path, [["a", "staff", "Agree", 2, 3], ["b", "staff", "Disagree", 1, 1]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    message = str(err.value)
    for part in ("survey.csv", "row 2", "column 'q1'", "holds text, not scores", "'Agree'",
                 "Fix: export the answers as numbers"):
        assert part in message


def test_duplicate_respondent_id_is_excluded_and_listed(tmp_path):
    path = _mini_file(tmp_path, [["a", "staff", 1, 2, 3], ["b", "staff", 2, 2, 2],
                                 ["a", "management", 5, 5, 5]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.responses.index.tolist() == ["a", "b"]
    [issue] = survey.quality.excluded
    assert issue.message == (
        "survey.csv, row 4, column 'id': respondent excluded: repeated respondent id (first in "
        "row 2) (value 'a'). Fix: give each respondent a unique id, or delete the repeated "
        "response"
    )


def test_unknown_and_blank_group_labels_are_excluded_and_listed(tmp_path):
    path = _mini_file(tmp_path, [["a", "Intern", 1, 2, 3], ["b", "", 2, 2, 2],
                                 ["c", "senior  MANAGEMENT", 4, 4, 4], ["d", "staff", 3, 3, 3]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.responses["role"].tolist() == ["management", "staff"]
    unknown, blank = survey.quality.excluded
    for part in ("survey.csv", "row 2", "column 'role'", "unknown group label", "'Intern'",
                 "Fix: add it to the params file, group_labels: {<level>: ['Intern']}"):
        assert part in unknown.message
    assert "row 3" in blank.message and "no group given" in blank.message
    # mapping the label brings the respondent back
    again = load(path, write_instrument(tmp_path), group_labels={"staff": ["intern"]},
                 min_group_size=1)
    assert again.n == 3


def test_missing_item_column_lists_the_closest_columns(tmp_path):
    path = write_csv(tmp_path / "survey.csv", [["role", "q1", "q_2x", "q3"], ["staff", 1, 2, 3]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    message = str(err.value)
    assert message.startswith(str(path))
    for part in ("1 question(s) of instrument 'mini' not found", "q2 ('Our executives show",
                 "closest columns: 'q_2x'", "Fix: map each in the params file",
                 "columns: {item_id: null} when the question was not asked"):
        assert part in message


def test_missing_group_column_lists_the_closest_columns(tmp_path):
    path = write_csv(tmp_path / "survey.csv", [["Rolle", "q1", "q2", "q3"], ["Boss", 1, 2, 3]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    message = str(err.value)
    for part in ("survey.csv", "no group column 'role'", "closest columns: 'Rolle'",
                 "Fix: name the column in the params file: columns: {role: <column>}"):
        assert part in message


def test_every_row_excluded_is_fatal_with_the_first_reason(tmp_path):
    path = _mini_file(tmp_path, [["a", "Boss", 1, 2, 3], ["b", "Intern", 2, 2, 2]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    assert str(err.value) == (
        f"{path}: no respondent left: all 2 rows were excluded, the first because row 2, column "
        "'role': respondent excluded: unknown group label (value 'Boss'). Fix: see the "
        "exclusions listed by `cemlab validate`; most often the group labels need mapping in "
        "group_labels"
    )


def test_a_note_below_the_data_is_listed_not_taken_for_a_respondent(tmp_path):
    path = _mini_file(tmp_path, [["a", "staff", 1, 2, 3], ["b", "management", 4, 4, 4], [],
                                 ["Source: Acme HR, exported 2026-01-05"], [None, "Confidential"]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.responses.index.tolist() == ["a", "b"]
    assert survey.quality.excluded == [] and survey.quality.rows_read == 2
    notes = [i for i in survey.quality.issues if i.reason == "note below the data"]
    assert [(i.row, i.column, i.value) for i in notes] == [
        (5, "id", "Source: Acme HR, exported 2026-01-05"), (6, "role", "Confidential")]
    assert notes[0].message == (
        "survey.csv, row 5, column 'id': a note below the data (one cell filled), not a "
        "response: left out (value 'Source: Acme HR, exported 2026-01-05'). Fix: if it is a "
        "response, fill in its other cells"
    )
    assert read_table(path).describe().endswith(
        "2 data rows, 5 columns, 2 note row(s) below the data left out")
    # a one-cell row between responses is a respondent with one answer, not a note
    path = _mini_file(tmp_path, [["a", "staff", 1, 2, 3], ["b"], ["c", "staff", 4, 4, 4]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert [(i.row, i.reason) for i in survey.quality.excluded] == [(3, "no group given")]


def test_a_last_row_with_only_a_group_label_or_a_score_is_a_respondent(tmp_path):
    # no id column: respondents are numbered by their spreadsheet row
    rows = [["role", "q1", "q2", "q3"], ["staff", 1, 2, 3], ["management", 4, 4, 4],
            ["Senior management"]]
    path = write_csv(tmp_path / "survey.csv", rows)
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.n == 3 and survey.quality.rows_read == 3
    assert survey.responses["role"].tolist() == ["staff", "management", "management"]
    assert survey.items.loc[4].isna().all()
    assert not any(i.reason == "note below the data" for i in survey.quality.issues)
    assert "note row" not in survey.quality.reading
    # a label row below a footer makes the footer a row between responses, as mid-file
    path = write_csv(tmp_path / "survey.csv", [*rows[:3], ["Source: Acme HR"], ["staff"]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.n == 3
    assert [(i.row, i.reason) for i in survey.quality.excluded] == [(4, "unknown group label")]
    # a footer below a label row is still a note
    path = write_csv(tmp_path / "survey.csv", [*rows, ["Source: Acme HR"]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.n == 3
    assert [(i.row, i.value) for i in survey.quality.issues
            if i.reason == "note below the data"] == [(5, "Source: Acme HR")]
    # only a score, or only a no-answer, is a respondent too: listed for its missing group
    path = _mini_file(tmp_path, [["a", "staff", 1, 2, 3], [None, None, 4],
                                 [None, None, None, "Don't know"]])
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.quality.rows_read == 3
    assert [(i.row, i.reason) for i in survey.quality.excluded] == [
        (3, "no group given"), (4, "no group given")]


def test_a_row_with_too_many_cells_is_excluded_and_listed(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,role,q1,q2,q3\na,staff,1,2,3\nb,staff,4,5,oops,3\n", encoding="utf-8")
    survey = load(path, write_instrument(tmp_path), min_group_size=1)
    assert survey.responses.index.tolist() == ["a"]
    [issue] = survey.quality.excluded
    assert issue.row == 3 and issue.reason == "more cells than the header"
    assert "6 cells but the header has 5 columns (extra value '3'" in issue.message


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "the file is empty"),
        (b"   \r\n\r\n", "the file is empty"),
        (b"id,role,q1,q2,q3\r\n", "no data rows below the 1 header row(s)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text table (CSV)"),
        (b"Dear consultant,\nplease find attached\n", "does not look like a survey table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old-style Excel .xls"),
        (b"PK\x03\x04 not really a workbook", "cannot open as an Excel .xlsx workbook"),
    ],
    ids=["empty", "blank-lines", "header-only", "png", "letter", "xls", "broken-zip"],
)
def test_files_that_are_not_surveys(tmp_path, content, expected):
    path = tmp_path / "client-file.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    assert str(err.value).startswith(str(path)) and expected in str(err.value)
    assert "Fix:" in str(err.value)
    assert path.read_bytes() == content


def test_a_table_of_something_else_says_it_is_not_this_survey(tmp_path):
    path = write_csv(tmp_path / "sales.csv", [["region", "month", "revenue"], ["N", 1, 100]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    assert "none of the 3 questions of instrument 'mini' was found" in str(err.value)
    # each question with the headers closest to it, not a bare "does not look like a survey"
    assert "q1 ('Leaders make decisions that fit our strategy'); closest columns: " in \
        str(err.value)


def test_missing_file_suggests_similar_names(tmp_path):
    write_csv(tmp_path / "acme-2026.csv", [["a", "b"]])
    with pytest.raises(DataError) as err:
        load(tmp_path / "acme_2026.csv", write_instrument(tmp_path))
    assert "no such file" in str(err.value) and "acme-2026.csv" in str(err.value)
    with pytest.raises(DataError) as err:
        load(tmp_path, write_instrument(tmp_path))
    assert str(err.value) == (
        f"{tmp_path}: this is a folder; a survey file (CSV, .xlsx, .sav or .parquet) is needed. "
        "Fix: give the path of the file itself"
    )


def test_ambiguous_statement_match_asks_for_a_mapping(tmp_path):
    spec = json.loads(json.dumps(MINI))
    spec["dimensions"][0]["items"][0]["id"] = "decisions"  # not a column name: match by text
    instrument = write_instrument(tmp_path, spec)
    rows = [["role", "Leaders make decisions that fit our strategy!",
             "Q9 - Leaders make decisions that fit our strategy", "q2", "q3"],
            ["staff", 1, 2, 4, 5]]
    # the exact statement wins over the "Q9 - ..." header that only ends with it
    survey = load(write_csv(tmp_path / "s.csv", rows), instrument, min_group_size=1)
    assert survey.quality.columns["decisions"] == "Leaders make decisions that fit our strategy!"

    rows[0][2] = "Leaders make decisions that fit our strategy."
    with pytest.raises(DataError) as err:
        load(write_csv(tmp_path / "s.csv", rows), instrument)
    assert "item decisions" in str(err.value) and "matches 2 columns" in str(err.value)
    assert "Fix: say which one in the params file: columns: {decisions: <column name>}" in \
        str(err.value)


def test_two_columns_with_the_same_header_are_ambiguous(tmp_path):
    path = write_csv(tmp_path / "s.csv", [["role", "q1", "q1", "q2", "q3"], ["staff", 1, 2, 3, 4]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path))
    assert "item q1 ('Leaders make decisions that fit our strategy') matches 2 columns: " \
        "'q1 (B)', 'q1 (C)'" in str(err.value)
    survey = load(path, write_instrument(tmp_path), columns={"q1": "q1 (C)"}, min_group_size=1)
    assert survey.items["q1"].tolist() == [2.0]


def test_two_items_mapped_to_one_column_is_an_error(tmp_path):
    path = write_csv(tmp_path / "s.csv", [["role", "a", "b"], ["staff", 1, 2]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path), columns={"q1": "a", "q2": "a", "q3": "b"})
    assert str(err.value) == (
        f"{path}: the columns mapping sends q1 and q2 to the same column 'a'; each question "
        "needs a column of its own. Fix: map each to its own column in the params file "
        "(columns: {q2: <column>}), or q2: null if it was not asked"
    )
    with pytest.raises(DataError, match="sends role and q3 to the same column 'b'"):
        load(path, write_instrument(tmp_path), columns={"role": "b", "q1": "a", "q2": None,
                                                        "q3": "b"})


def test_unknown_columns_key_is_an_error(tmp_path):
    path = _mini_file(tmp_path, [["a", "staff", 1, 2, 3]])
    with pytest.raises(DataError) as err:
        load(path, write_instrument(tmp_path), columns={"q4": "x"})
    assert "the columns mapping names 'q4'" in str(err.value)


def test_helpers():
    assert [column_letter(i) for i in (0, 25, 26, 77, 701, 702)] == [
        "A", "Z", "AA", "BZ", "ZZ", "AAA"]
    assert normalize_text("  Don’t\u00a0KNOW?! ") == "dont know"
    assert normalize_text("Q5 - Leaders, make") == "q5 leaders make"
    assert normalize_text("ZARZĄD") == normalize_text("Zarzad") == "zarzad"
    assert normalize_text("Łódź") == "lodz"


@needs_realdata
def test_surveymonkey_matrix_row_matched_by_its_sub_header(tmp_path):
    # Column 12: row 1 blank (inside the matrix "How often does your company do the following
    # activities?"), row 2 "Use open source code for noncommercial or internal reasons"; the
    # answers are words (Frequently 527, ...), so a numeric instrument must refuse the column,
    # pointing at the first response: spreadsheet row 3, below SurveyMonkey's 2 header rows.
    statement = "Use open source code for noncommercial or internal reasons"
    instrument = _instrument(tmp_path, [("internal_use", statement)], column="size",
                             levels=("small", "large", "unknown"), labels=COMPANY_SIZES)
    path = REALDATA / "surveymonkey-export" / "results.csv"
    with pytest.raises(DataError) as err:
        load(path, instrument, columns={"size": COMPANY_SIZE})
    message = str(err.value)
    column = ("column 'How often does your company do the following activities? - Use open "
              "source code for noncommercial")
    for part in ("results.csv", "row 3", column, "holds text, not scores",
                 "(value 'Frequently')", "Fix: export the answers as numbers"):
        assert part in message, part


@needs_realdata
def test_large_file_pisa_66690_students(tmp_path):
    # SOURCE.md: 66,690 rows; ST24Q01 has 65,491 non-missing answers, 22.82% "Strongly
    # disagree" (code 1) of them (R likert); Canada 23,207, Mexico 38,250, United States 5,233.
    items = [(f"ST24Q{i:02d}", f"reading attitude {i}") for i in range(1, 12)]
    instrument = _instrument(tmp_path, items, scale=(1, 4), column="CNT",
                             levels=("Canada", "Mexico", "United States"))
    survey = load(REALDATA / "likert-pisaitems" / "pisaitems_ST24_ST25_codes.csv", instrument,
                  columns={"respondent_id": "row_id"})
    first = survey.items["ST24Q01"]
    assert survey.n == 66690 and first.notna().sum() == 65491
    assert round(100 * (first == 1).sum() / first.notna().sum(), 2) == 22.82
    assert survey.group_sizes().to_dict() == {"Canada": 23207, "Mexico": 38250,
                                              "United States": 5233}


def test_excel_sep_line_and_utf16_tab_export(tmp_path):
    instrument = write_instrument(tmp_path)
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\nrole;q1;q2;q3\nstaff;1;2;3\nstaff;4;4;9\n", encoding="utf-8")
    survey = load(path, instrument, min_group_size=1)
    # Excel hides the "sep=" line: the header is row 1 and the last response row 3
    assert survey.responses.index.tolist() == [2, 3]
    assert survey.quality.set_missing[0].row == 3

    path = tmp_path / "unicode.txt"
    path.write_bytes("role\tq1\tq2\tq3\r\nZarząd\t5\t4\t3\r\n".encode("utf-16"))
    table = read_table(path)
    assert (table.encoding, table.delimiter) == ("UTF-16", "\t")
    assert load(path, instrument, group_labels={"management": ["Zarząd"]},
                min_group_size=1).responses["role"].tolist() == ["management"]


def test_group_alias_weights_and_extra_columns(tmp_path):
    rows = [["Team", "Position", "q1", "q2", "q3", "weight", "wave"],
            ["North", "staff", 1, 2, 3, "1,5", 2026],
            ["South", "management", 3, 3, 3, "-1", 2026],
            ["North", "staff", 2, 2, 2, "", 2026]]
    survey = load(write_csv(tmp_path / "s.csv", rows), write_instrument(tmp_path),
                  columns={"group": "Position", "segment": "Team"}, min_group_size=1)
    r = survey.responses
    assert r["segment"].tolist() == ["North", "South", "North"]
    assert r["wave"].tolist() == ["2026"] * 3
    assert r["weight"].tolist()[0] == 1.5 and r["weight"].isna().tolist() == [False, True, True]
    [bad_weight] = survey.quality.set_missing
    assert "row 3, column 'weight': weight set missing: not a positive number (value '-1')" in \
        bad_weight.message


def test_group_column_cannot_be_mapped_to_null_and_levels_must_exist(tmp_path):
    path = _mini_file(tmp_path, [["a", "staff", 1, 2, 3]])
    with pytest.raises(DataError, match="says role: null, but every respondent needs a group"):
        load(path, write_instrument(tmp_path), columns={"role": None})
    with pytest.raises(DataError, match="group_labels names the level 'interns'"):
        load(path, write_instrument(tmp_path), group_labels={"interns": ["Intern"]})


def test_spss_group_codes_read_through_their_value_labels(tmp_path):
    # a .sav written here with pyreadstat: role codes 1/2 labelled, 9 declared user-missing
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame({"role": [1.0, 2.0, 9.0, 2.0], "q1": [1.0, 5.0, 3.0, 99.0],
                          "q2": [2.0, 2.0, 2.0, 2.0], "q3": [3.0, 3.0, 3.0, 3.0]})
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(
        frame, str(path),
        variable_value_labels={"role": {1.0: "Kierownictwo", 2.0: "Pracownik", 9.0: "brak"},
                               "q1": {99.0: "nie wiem"}},
        missing_ranges={"role": [9.0]},
    )
    survey = load(path, write_instrument(tmp_path), min_group_size=1,
                  group_labels={"management": ["Kierownictwo"], "staff": ["Pracownik"]})
    assert survey.responses["role"].tolist() == ["management", "staff", "staff"]
    [no_group] = survey.quality.excluded
    assert "row 3, column 'role': respondent excluded: no group given" in no_group.message
    [dont_know] = survey.quality.set_missing  # 99 is labelled "nie wiem": a missing answer
    assert "row 4, column 'q1': read as missing: code 99.0 ('nie wiem') means no answer" in \
        dont_know.message


@needs_realdata
def test_carpentries_impact_items_and_recommend_score(tmp_path):
    # SOURCE.md, 2020-12 file: 87 rows, impact items coded 1-5, recommendation_score 0-10 with
    # 87 answers; published NPS 47 (56.32% promoters - 9.20% detractors).
    impacts = ["career_advancement", "motivation_learning", "increase_reproducibility",
               "professional_recognition", "improve_coding_practice", "research_productivity",
               "increase_confidence"]
    spec = yaml.safe_load(_instrument(tmp_path, [(f"impact_{i}", i) for i in impacts],
                                      column="workshop", levels=("swc", "dc", "lc", "unknown"))
                          .read_text(encoding="utf-8"))
    spec["groups"]["labels"] = {"swc": ["Software Carpentry"], "dc": ["Data Carpentry"],
                                "lc": ["Library Carpentry"], "unknown": ["I don't know"]}
    spec["recommend"] = {"id": "ltr", "text": "How likely are you to recommend a workshop?"}
    path = REALDATA / "carpentries-longterm" / "2020-12-long-term-other_questions-no-open.csv"
    survey = load(path, write_instrument(tmp_path, spec),
                  columns={"workshop": "workshop_attended_type", "ltr": "recommendation_score"})
    ltr = survey.responses["ltr"]
    assert survey.n == 87 and ltr.notna().sum() == 87
    nps = 100 * ((ltr >= 9).mean() - (ltr <= 6).mean())
    assert round(nps) == 47
    assert survey.group_sizes().to_dict() == {"swc": 40, "dc": 34, "lc": 10, "unknown": 3}
