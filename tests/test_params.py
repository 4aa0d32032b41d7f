"""The per-client params file: every key checked before anything runs, errors name key and file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from _io_fixtures import write_csv, write_instrument
from pydantic import ValidationError

from cemlab import Client, DataError, Params, ParamsError, load_client, load_params
from cemlab.params import SECTIONS, PreviousSource


@pytest.fixture
def client_folder(tmp_path):
    """params/acme.yaml next to data/ holding a small survey, previous wave and feedback."""
    (tmp_path / "params").mkdir()
    data = tmp_path / "data"
    data.mkdir()
    write_instrument(data)
    header = ["id", "role", "q1", "q2", "q3"]
    rows = [[f"r{i}", "staff" if i % 3 else "management", 1 + i % 5, 2, 3] for i in range(12)]
    write_csv(data / "acme.csv", [header, *rows])
    write_csv(data / "acme-2025.csv", [["id", "Position", "q1", "q2", "q3"],
                                       *[[r[0], r[1], 3, 3, 3] for r in rows]])
    write_csv(data / "acme-nps.csv", [["segment", "ltr", "sat_overall", "sat_awareness",
                                       "sat_purchase", "sat_onboarding", "sat_service",
                                       "sat_billing"],
                                      *[["consumer", 9, 8, 7, 6, 5, 4, 3]] * 6])
    return tmp_path


def write_params(folder, **keys):
    values = {"client": "acme", "title": "Acme 2026", "data": "../data/acme.csv",
              "instrument": "../data/mini.yaml"} | keys
    values = {k: v for k, v in values.items() if v is not None}
    path = folder / "params" / "acme.yaml"
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


def params_error(path) -> str:
    with pytest.raises(ParamsError) as err:
        load_params(path)
    message = str(err.value)
    assert message.startswith(str(path)), message  # every error names the params file
    return message


def test_minimal_params_get_defaults_and_absolute_paths(client_folder):
    path = write_params(client_folder, instrument=None)
    params = load_params(path)
    assert params.data == client_folder / "data" / "acme.csv"
    assert params.data.is_absolute()
    assert params.instrument == "cem-maturity"
    assert (params.min_group_size, params.target, params.wave) == (5, None, None)
    assert params.sections == list(SECTIONS)
    assert params.benchmark == "polska-2008"
    assert params.path == path.resolve()


def test_instrument_path_is_relative_to_the_params_file(client_folder):
    params = load_params(write_params(client_folder, wave=2026, target=4))
    assert params.instrument == str(client_folder / "data" / "mini.yaml")
    assert params.wave == "2026"  # YAML reads 2026 as a number; a wave label is text
    assert params.target == 4.0


def test_notebook_parameters_are_plain_json_with_absolute_paths(client_folder):
    params = load_params(write_params(client_folder, feedback="../data/acme-nps.csv",
                                      previous={"data": "../data/acme-2025.csv", "wave": 2025}))
    values = params.notebook_parameters()
    assert json.loads(json.dumps(values)) == values
    assert values["data"] == str(client_folder / "data" / "acme.csv")
    assert values["feedback"]["data"] == str(client_folder / "data" / "acme-nps.csv")
    assert values["feedback"]["instrument"] == "customer-feedback"
    assert values["previous"] == {"data": str(client_folder / "data" / "acme-2025.csv"),
                                  "sheet": None, "columns": None, "group_labels": None,
                                  "exclude_labels": None, "cuts": None, "comments": None,
                                  "wave": "2025", "feedback": None}
    assert values["params_file"] == str((client_folder / "params" / "acme.yaml").resolve())


def test_load_client_reads_main_feedback_and_previous(client_folder):
    path = write_params(
        client_folder, wave="2026", feedback="../data/acme-nps.csv",
        previous={"data": "../data/acme-2025.csv", "wave": "2025",
                  "columns": {"role": "Position"}},
        min_group_size=3,
    )
    client = load_client(path)
    assert isinstance(client, Client) and isinstance(client.params, Params)
    assert client.survey.n == 12 and client.survey.group_sizes().to_dict() == {
        "management": 4, "staff": 8}
    assert set(client.survey.responses["wave"]) == {"2026"}
    assert client.previous.n == 12 and set(client.previous.responses["wave"]) == {"2025"}
    assert client.previous.items["q1"].eq(3).all()
    assert client.feedback.instrument.name == "customer-feedback"
    assert client.feedback.responses["ltr"].eq(9).all()
    assert client.survey.min_group_size == 3
    assert load_client(client.params).survey.n == 12  # a loaded Params works too


def test_previous_wave_feedback_is_read_for_the_nps_change(client_folder):
    write_csv(client_folder / "data" / "acme-nps-2025.csv",
              [["segment", "ltr", "sat_overall", "sat_awareness", "sat_purchase",
                "sat_onboarding", "sat_service", "sat_billing"],
               *[["consumer", 6, 8, 7, 6, 5, 4, 3]] * 6])
    path = write_params(
        client_folder, wave="2026", feedback="../data/acme-nps.csv",
        previous={"data": "../data/acme-2025.csv", "wave": "2025",
                  "columns": {"role": "Position"}, "feedback": "../data/acme-nps-2025.csv"},
        min_group_size=3,
    )
    client = load_client(path)
    assert client.previous_feedback.responses["ltr"].eq(6).all()
    assert set(client.previous_feedback.responses["wave"]) == {"2025"}
    assert set(client.feedback.responses["wave"]) == {"2026"}  # labelled for the NPS trend
    assert load_client(write_params(client_folder)).previous_feedback is None
    # a bare path is read like this wave's feedback: the same instrument and column mapping
    header = ["Segment", "Recommend", "sat_overall", "sat_awareness", "sat_purchase",
              "sat_onboarding", "sat_service", "sat_billing"]
    write_csv(client_folder / "data" / "acme-nps-b.csv",
              [header, *[["consumer", 6, 8, 7, 6, 5, 4, 3]] * 6])
    write_csv(client_folder / "data" / "acme-nps-b-2025.csv",
              [header, *[["consumer", 9, 8, 7, 6, 5, 4, 3]] * 6])
    mapped = load_client(write_params(
        client_folder, feedback={"data": "../data/acme-nps-b.csv",
                                 "columns": {"ltr": "Recommend", "segment": "Segment"}},
        previous={"data": "../data/acme-2025.csv", "columns": {"role": "Position"},
                  "feedback": "../data/acme-nps-b-2025.csv"}, min_group_size=3))
    assert mapped.previous_feedback.responses["ltr"].eq(9).all()
    missing = write_params(client_folder, previous={"data": "../data/acme-2025.csv",
                                                    "feedback": "../data/nope.csv"})
    message = params_error(missing)
    assert "key 'previous.feedback.data'" in message and "nope.csv" in message


def test_previous_wave_inherits_the_main_columns_mapping(client_folder):
    path = write_params(client_folder, columns={"role": "role"},
                        previous="../data/acme-2025.csv")
    with pytest.raises(DataError) as err:
        load_client(path)
    # the previous file calls the group column "Position": the inherited mapping does not fit
    assert "acme-2025.csv: the columns mapping sends role to 'role'" in str(err.value)


@pytest.mark.parametrize(
    "keys, expected",
    [
        ({"clinet": "acme"}, "key 'clinet': unknown key (check its spelling against the README)"),
        ({"title": None}, "key 'title': this key is required but missing"),
        ({"client": "acme corp!"},
         "key 'client': String should match pattern '^[A-Za-z0-9_-]+$', got 'acme corp!'. Fix: "
         "use only letters, digits, - and _, e.g. client: acme-corp"),
        ({"title": 2026},
         "key 'title': Input should be a valid string, got 2026. Fix: put it in quotes: "
         "title: '2026'"),
        ({"min_group_size": "five"},
         "key 'min_group_size': Input should be a valid integer, got 'five'. Fix: write a whole "
         "number, e.g. min_group_size: 5"),
        # numbers are strict: YAML true, a quoted "5" and 2.5 are not a group size
        ({"min_group_size": True},
         "key 'min_group_size': Input should be a valid integer, got true. Fix: write a whole "
         "number, e.g. min_group_size: 5"),
        ({"min_group_size": "5"},
         "key 'min_group_size': Input should be a valid integer, got '5'. Fix: write the number "
         "without quotes: min_group_size: 5"),
        ({"min_group_size": 2.5},
         "key 'min_group_size': Input should be a valid integer, got 2.5. Fix: write a whole "
         "number, e.g. min_group_size: 5"),
        ({"min_group_size": 0},
         "key 'min_group_size': Input should be greater than or equal to 1, got 0. Fix: use 1 or "
         "more"),
        ({"data": "../data/acme-2026.csv"}, "key 'data': no such file: "),
        ({"data": 12}, "key 'data': must be a file path (text)"),
        ({"sheet": True},
         "key 'sheet': must be a sheet name or a 0-based sheet position, got true. Fix: write "
         "the name in quotes (sheet: 'Responses') or a whole number (sheet: 0 for the first "
         "sheet)"),
        ({"target": 9}, "key 'target': 9 is outside the 1-5 scale of instrument 'mini'"),
        ({"target": "high"},
         "key 'target': Input should be a valid number, got 'high'. Fix: write a number, e.g. "
         "target: 7"),
        ({"target": "4"},
         "key 'target': Input should be a valid number, got '4'. Fix: write the number without "
         "quotes: target: 4"),
        ({"target": True},
         "key 'target': Input should be a valid number, got true. Fix: write a number, e.g. "
         "target: 7"),
        ({"columns": {"q4": "Q4"}}, "key 'columns': 'q4' not an item of instrument 'mini'"),
        ({"columns": {"role": None}}, "key 'columns': role cannot be null"),
        ({"columns": ["q1"]},
         "key 'columns': Input should be a valid dictionary, got ['q1']. Fix: write key: value "
         "pairs under it (see the README for its keys)"),
        ({"group_labels": {"managers": ["Boss"]}},
         "key 'group_labels': 'managers' not a level of instrument 'mini'"),
        ({"group_labels": {"staff": "Employee"}},
         "key 'group_labels.staff': Input should be a valid list, got 'Employee'. Fix: write a "
         "list in square brackets, e.g. staff: [Employee]"),
        ({"group_labels": {"staff": [True]}},  # YAML reads an unquoted label yes as true
         "key 'group_labels.staff[0]': Input should be a valid string, got true. Fix: YAML reads "
         "unquoted yes, no, on, off, true and false as true/false: put the text in quotes, e.g. "
         "'yes'"),
        ({"sections": ["cover", "summary"]},
         "key 'sections[1]': Input should be 'cover', 'findings', 'agreement', 'scorecard', "
         "'correlations', 'reliability', 'nps', 'trend' or 'quality', got 'summary'. Fix: use one "
         "of those"),
        ({"sections": ["cover", "scorecrd"]}, "got 'scorecrd'. Fix: use 'scorecard'"),
        ({"sections": ["nps", "nps"]}, "key 'sections': section(s) listed twice: nps"),
        ({"benchmark": "polska-2009"}, "key 'benchmark': unknown benchmark"),
        ({"benchmark": "bench/mine.csv"}, "key 'benchmark': no such file"),
        ({"feedback": "../data/nps.csv"}, "key 'feedback.data': no such file"),
        ({"feedback": {"data": "../data/acme-nps.csv", "columns": {"nps": "ltr"}}},
         "key 'feedback': columns: 'nps' not an item of instrument 'customer-feedback'"),
        ({"previous": {"data": "../data/acme-2025.csv", "instrument": "cem-maturity"}},
         "key 'previous.instrument': unknown key"),
        ({"previous": {"wave": "2025"}}, "key 'previous.data': this key is required but missing"),
        ({"previous": {"data": "../data/acme-2025.csv", "group_labels": {"boss": ["Boss"]}}},
         "key 'previous': group_labels: 'boss' not a level of instrument 'mini'"),
    ],
)
def test_params_errors_name_the_key_and_the_file(client_folder, keys, expected):
    message = params_error(write_params(client_folder, **keys))
    assert expected in message


def test_a_misspelt_built_in_instrument_suggests_the_name(client_folder):
    message = params_error(write_params(client_folder, instrument="cem-maturty"))
    assert message.endswith(
        "key 'instrument': 'cem-maturty' is neither a built-in instrument (cem-maturity, "
        f"customer-feedback) nor a file ({client_folder / 'params' / 'cem-maturty'} does not "
        "exist). Fix: use 'cem-maturity', the closest built-in name"
    )


def test_a_folder_given_as_data_says_a_file_is_needed(client_folder):
    message = params_error(write_params(client_folder, data="../data"))
    assert message.endswith(
        f"key 'data': {client_folder / 'data'} is a folder, but data needs a file. Fix: give the "
        "path of the file itself, e.g. one of the files in it (acme-2025.csv, acme-nps.csv, "
        "acme.csv, mini.yaml)"
    )


def test_numbers_yaml_reads_where_text_is_meant_are_text(client_folder):
    # client: 2026 is a valid slug; SPSS codes as group labels are compared as text
    params = load_params(write_params(
        client_folder, client=2026, group_labels={"staff": [1, 2], "management": [3.0]},
        previous={"data": "../data/acme-2025.csv", "group_labels": {"staff": [9]}}))
    assert params.client == "2026"
    assert params.group_labels == {"staff": ["1", "2"], "management": ["3"]}
    assert params.previous.group_labels == {"staff": ["9"]}
    write_csv(client_folder / "data" / "codes.csv",
              [["role", "q1", "q2", "q3"], [1, 4, 4, 4], [2, 3, 3, 3], [3, 5, 5, 5]])
    params = load_params(write_params(client_folder, data="../data/codes.csv", min_group_size=1,
                                      allow_small_groups=True,
                                      group_labels={"staff": [1, 2], "management": [3]}))
    assert load_client(params).survey.responses["role"].tolist() == [
        "staff", "staff", "management"]


def test_missing_params_file_and_non_mapping_yaml(client_folder):
    message = params_error(client_folder / "params" / "nobody.yaml")
    assert "no such params file" in message
    path = client_folder / "params" / "list.yaml"
    path.write_text("- client: acme\n", encoding="utf-8")
    assert "must be a YAML mapping" in params_error(path)
    path.write_text("client: [acme\n", encoding="utf-8")
    assert "not valid YAML" in params_error(path)


def test_malformed_instrument_is_a_params_error(client_folder):
    (client_folder / "data" / "broken.yaml").write_text("name: broken\nscale: {min: 1}\n")
    message = params_error(write_params(client_folder, instrument="../data/broken.yaml"))
    assert "key 'instrument':" in message and "broken.yaml" in message


def test_readme_params_example_uses_only_known_keys():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## The client params file", 1)[1].split("```yaml", 1)[1]
    example = yaml.safe_load(block.split("```", 1)[0])
    assert set(example) == set(Params.model_fields)  # every key shown, no key made up
    assert set(example["previous"]) <= set(PreviousSource.model_fields)
    assert tuple(example["sections"]) == SECTIONS


def test_sheet_may_be_a_position_or_a_name(client_folder):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "2026"
    book.active.append(["id", "role", "q1", "q2", "q3"])
    for i in range(5):
        book.active.append([f"r{i}", "staff", 1, 2, 3])
    book.save(client_folder / "data" / "acme.xlsx")
    for sheet in (0, 2026, "2026"):  # YAML "sheet: 2026" names the sheet, not position 2026
        params = load_params(write_params(client_folder, data="../data/acme.xlsx", sheet=sheet))
        assert load_client(params).survey.n == 5


def test_params_built_in_code_get_the_same_checks(client_folder):
    # report notebooks validate their parameters with Params.model_validate, not load_params
    values = {"client": "acme", "title": "Acme", "data": "data/acme.csv",
              "instrument": "data/mini.yaml", "columns": {"q9": "Q9"}}
    with pytest.raises(ValidationError, match="'q9' not an item of instrument 'mini'"):
        Params.model_validate(values, context={"folder": client_folder})
    values["columns"] = {"respondent_id": None}  # null: number respondents by row
    params = Params.model_validate(values, context={"folder": client_folder})
    assert load_client(params).survey.responses.index[0] == 2


def test_notebook_parameters_validate_back_to_the_same_params(client_folder):
    # render passes notebook_parameters() to the report notebook, which validates them again
    params = load_params(write_params(client_folder, feedback="../data/acme-nps.csv",
                                      previous="../data/acme-2025.csv", target=3.5))
    values = params.notebook_parameters()
    del values["params_file"]
    again = Params.model_validate(values, context={"folder": client_folder / "elsewhere"})
    assert again.model_dump() == params.model_dump()


# -- params that cannot quietly switch protection off (issue 10, §3) -------------------------


def _write_text(client_folder, text: str) -> Path:
    path = client_folder / "params" / "acme.yaml"
    path.write_text("client: acme\ntitle: Acme 2026\ndata: ../data/acme.csv\n"
                    "instrument: ../data/mini.yaml\n" + text, encoding="utf-8")
    return path


def test_a_key_given_twice_is_an_error_naming_both_lines(client_folder):
    # PyYAML keeps the second silently: this file used to load with min_group_size 1
    path = _write_text(client_folder, "min_group_size: 5\nallow_small_groups: true\n"
                                      "min_group_size: 1\n")
    assert params_error(path) == (
        f"{path}: key 'min_group_size' is given twice (lines 5 and 7); YAML would silently "
        "keep only the second. Fix: keep one 'min_group_size' line and delete the other"
    )
    nested = _write_text(client_folder, "group_labels:\n  staff: [Employee]\n  staff: [Boss]\n")
    assert "key 'staff' is given twice (lines 6 and 7)" in params_error(nested)


def test_an_alias_bomb_is_refused_before_it_expands(client_folder):
    # nine levels of nine aliases: 9**9 (387 million) labels from a 1 KB file; the old loader
    # spent minutes and gigabytes expanding it. The alarm turns a regression into a failure.
    import signal

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = _write_text(client_folder, "\n".join(
        ["title_parts:", *[f"  {line}" for line in levels], "group_labels:", "  staff: *a8"]))
    assert path.stat().st_size < 1024
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the alias bomb was expanded"))
    signal.alarm(10)
    try:
        message = params_error(path)
    finally:
        signal.alarm(0)
    assert "expands to more than 100,000 values" in message and len(message) < 400


def test_an_alias_that_contains_itself_is_an_error(client_folder):
    path = _write_text(client_folder, "group_labels: &loop {staff: [*loop]}\n")
    assert "an alias refers to the value that contains it" in params_error(path)


def test_error_messages_stay_short_whatever_the_file_holds(client_folder):
    many = ", ".join(["true"] * 5000)  # 5,000 wrong labels: 5,000 pydantic errors
    message = params_error(_write_text(client_folder, f"group_labels: {{staff: [{many}]}}\n"))
    assert "... and 4,990 more errors" in message and len(message) < 5000
    long_line = _write_text(client_folder, "title: [" + "x" * 100_000 + "\n")
    assert len(params_error(long_line)) < 1000


@pytest.mark.parametrize(
    "labels, expected",
    [
        ({"management": ["staff"]},
         "key 'group_labels': label 'staff' under 'management' is the name of the level "
         "'staff': every staff respondent would be counted as management. Fix: remove 'staff' "
         "from 'management'"),
        ({"management": ["STAFF!"]}, "label 'STAFF!' under 'management' is the name of the level"),
        ({"management": ["Team lead"], "staff": ["team-lead"]},
         "key 'group_labels': label 'team-lead' is under 'staff' and also under 'management' "
         "(in group_labels): its respondents would silently go to one of them. Fix: keep the "
         "label under one level only"),
        # mini's own groups.labels put "Senior management" under management
        ({"staff": ["senior management"]},
         "label 'senior management' is under 'staff' and also under 'management' (in the "
         "instrument's groups.labels)"),
    ],
)
def test_a_group_label_that_would_move_people_between_groups_is_an_error(
    client_folder, labels, expected
):
    assert expected in params_error(write_params(client_folder, group_labels=labels))
    nested = write_params(client_folder, previous={"data": "../data/acme-2025.csv",
                                                   "group_labels": labels})
    assert "key 'previous': group_labels: label" in params_error(nested)


def test_a_label_under_its_own_level_is_fine(client_folder):
    params = load_params(write_params(client_folder, group_labels={"staff": ["Staff", "Crew"]}))
    assert params.group_labels == {"staff": ["Staff", "Crew"]}


@pytest.mark.parametrize("size", [1, 2])
def test_min_group_size_below_3_needs_allow_small_groups(client_folder, size):
    message = params_error(write_params(client_folder, min_group_size=size))
    assert (f"key 'min_group_size': {size} is below 3: reports would show figures of groups of "
            f"{size}") in message
    assert "Fix: use min_group_size: 3 or more, or, if the client accepts it, add " \
        "allow_small_groups: true" in message
    params = load_params(write_params(client_folder, min_group_size=size,
                                      allow_small_groups=True))
    assert (params.min_group_size, params.allow_small_groups) == (size, True)
    assert params.notebook_parameters()["allow_small_groups"] is True  # the cover reads it
    assert load_params(write_params(client_folder, min_group_size=3)).allow_small_groups is False
    message = params_error(write_params(client_folder, min_group_size=size,
                                        allow_small_groups="yes"))
    assert "key 'allow_small_groups': Input should be a valid boolean" in message


@pytest.mark.parametrize(
    "keys, expected",
    [
        ({"colums": {"q1": "a"}}, "key 'colums': unknown key (check its spelling against the "
                                  "README). Fix: use 'columns', the closest known key"),
        ({"min_group_sise": 5}, "Fix: use 'min_group_size', the closest known key"),
        ({"previous": {"data": "../data/acme-2025.csv", "wav": "2025"}},
         "key 'previous.wav': unknown key (check its spelling against the README). Fix: use "
         "'wave', the closest known key"),
        ({"feedback": {"data": "../data/acme-nps.csv", "instrumnet": "customer-feedback"}},
         "Fix: use 'instrument', the closest known key"),
    ],
)
def test_an_unknown_key_gets_the_closest_known_key(client_folder, keys, expected):
    assert expected in params_error(write_params(client_folder, **keys))
    assert "closest known key" not in params_error(write_params(client_folder, xyzzy=1))
