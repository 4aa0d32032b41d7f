"""The instrument format and the built-in instruments."""

from __future__ import annotations

import pytest
import yaml

from cemlab import InstrumentError, list_instruments, load_instrument
from cemlab.instrument import parse_instrument

# The study items with their exact ids, dimensions and statement text (issue "Foundation", §2).
STUDY_ITEMS = {
    "lead_decisions": ("leadership", "Leaders make decisions that are consistent with our customer experience strategy"),
    "lead_commitment": ("leadership", "Our company's top executives demonstrate their commitment to our customer experience strategy"),
    "lead_champions": ("leadership", "Our leaders have been trained as champions of our customer experience and are leading its implementation"),
    "own_partnership": ("ownership", "We have created a partnership between marketing, HR and Operations to define and deliver the customer experience"),
    "cust_profitable": ("target_customers", "We have identified our most profitable customers"),
    "cust_rating": ("target_customers", "We are clear about how these customers rate their experience on the things that are most important to them"),
    "brand_promise": ("brand_promise", "We have defined a brand promise that differentiates us in the eyes of our target customers"),
    "brand_touchline": ("brand_promise", "We have mapped our customer touchline to determine the key points of contact our customers have with us and how our promise should be delivered at each"),
    "touch_improve": ("touchpoints", "We have identified how to improve our services and processes to deliver our customer promise in a way that is consistently valuable to target customers"),
    "train_satisfaction": ("training", "We are satisfied with the customer experience training we receive"),
    "train_comms": ("training", "We have continuing internal communications to build clarity and commitment around implementing the customer experience"),
    "meas_scorecard": ("measurement", "We have a scorecard of indicators that provide leaders with objective and timely feedback on how well we are delivering against our promise"),
    "kpi_monitor": ("kpis", "Leaders measure and monitor the quality of the customer experience"),
    "kpi_reward": ("kpis", "Our leaders reward employees who put customers first"),
}

TEN_PRACTICES = ["leadership", "ownership", "target_customers", "customer_value", "brand_promise",
                 "touchpoints", "training", "cem_before_crm", "measurement", "kpis"]

MINIMAL = """
name: my-survey
scale: {min: 1, max: 5}
bands: {disagree: [1, 2], neutral: [3, 3], agree: [4, 5]}
groups: {column: role, levels: [management, staff]}
dimensions:
  - id: service
    title: Service
    items:
      - {id: s1, text: We answer quickly, source: cemlab}
      - {id: s2, text: We rarely keep customers waiting, source: cemlab, reverse: true}
"""


def test_builtin_instruments_are_listed_and_load():
    assert list_instruments() == ["cem-maturity", "customer-feedback"]
    for name in list_instruments():
        assert load_instrument(name).name == name


def test_cem_maturity_has_the_study_items_verbatim():
    instrument = load_instrument("cem-maturity")
    for item_id, (dimension, text) in STUDY_ITEMS.items():
        item = instrument.item(item_id)
        assert item.text == text
        assert item.source == "study"
        assert instrument.dimension_of(item_id).id == dimension
    paraphrased = {i.id for i in instrument.items if i.paraphrased}
    assert paraphrased == {"cust_rating", "train_satisfaction"}


def test_cem_maturity_covers_ten_practices_with_two_items_each():
    instrument = load_instrument("cem-maturity")
    assert [d.id for d in instrument.dimensions] == TEN_PRACTICES
    assert all(len(d.items) >= 2 for d in instrument.dimensions)
    assert all(i.source == "cemlab" for i in instrument.items if i.id not in STUDY_ITEMS)
    assert (instrument.scale.min, instrument.scale.max) == (1, 10)
    bands = instrument.bands
    assert [bands.band_of(s) for s in range(1, 11)] == ["disagree"] * 4 + ["neutral"] * 2 + ["agree"] * 4
    assert instrument.groups.column == "role"
    assert instrument.groups.levels == ["management", "staff"]


def test_customer_feedback_has_a_recommend_item_and_touchpoints():
    instrument = load_instrument("customer-feedback")
    assert instrument.recommend.id == "ltr"
    assert (instrument.recommend.scale.min, instrument.recommend.scale.max) == (0, 10)
    assert "sat_overall" in instrument.item_ids
    journey = [i.id for i in instrument.items if i.id.startswith("sat_") and i.id != "sat_overall"]
    assert len(journey) >= 5


def test_a_consultants_own_instrument_loads_from_a_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    instrument = load_instrument(path)
    assert instrument.item_ids == ["s1", "s2"]
    assert instrument.item("s2").reverse
    assert instrument.scale.reverse(2) == 4
    assert instrument.bands_of("s1").band_of(4) == "agree"
    table = instrument.item_table()
    assert table["statement"].tolist() == ["We answer quickly", "We rarely keep customers waiting"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("scale"), "key 'scale': this key is required but missing"),
        (lambda d: d["dimensions"][0]["items"][0].update(txt="x"),
         "key 'dimensions[service].items[s1].txt': unknown key"),
        (lambda d: d["dimensions"][0]["items"][1].pop("text"),
         "key 'dimensions[service].items[s2].text': this key is required but missing"),
        (lambda d: d["dimensions"][0]["items"][1].update(source="survey"),
         "key 'dimensions[service].items[s2].source'"),
        (lambda d: d["bands"].pop("neutral"),
         "key 'bands': score 3 of the 1-5 scale is in no band. Fix: make the bands run without "
         "gaps from 1 to 5 (each [low, high], both included)"),
        (lambda d: d["bands"].update(agree=[3, 5]), "bands must not overlap"),
        (lambda d: d["scale"].update(max=1), "max (1) must be greater than min (1)"),
        (lambda d: d["dimensions"][0]["items"][1].update(id="s1"),
         "key 'dimensions[service].items[s1].id': item id 's1' is used twice (first in "
         "dimension 'service'). Fix: give each item its own id"),
        (lambda d: d["dimensions"].append({"id": "service", "title": "Again", "items": [
            {"id": "s3", "text": "x", "source": "cemlab"}]}),
         "key 'dimensions[service].id': dimension id 'service' is used twice (dimensions 1 and "
         "2 in order)"),
        (lambda d: d["dimensions"][0]["items"][0].update(
            scale={"min": 1, "max": 5}, bands={"disagree": [1, 1], "agree": [3, 5]}),
         "key 'dimensions[service].items[s1].bands': item 's1': score 2 of the 1-5 scale is in "
         "no band"),
        (lambda d: d["dimensions"][0]["items"][0].update(scale={"min": 1, "max": 7}),
         "key 'dimensions[service].items[s1].bands': item 's1' has its own 1-7 scale, but score "
         "6 of it is in none of the instrument's bands. Fix: give the item its own bands "
         "covering 1 to 7"),
        (lambda d: d.update(recommend={"id": "s2", "text": "Recommend?"}),
         "key 'recommend.id': recommend id 's2' is also an item id (dimension 'service')"),
        # booleans and numbers are strict: YAML's "yes" in quotes, 1, "5" are not accepted
        (lambda d: d["dimensions"][0]["items"][1].update(reverse="yes"),
         "key 'dimensions[service].items[s2].reverse': Input should be a valid boolean, got "
         "'yes'. Fix: write true or false, e.g. reverse: true"),
        (lambda d: d["dimensions"][0]["items"][1].update(reverse=1),
         "key 'dimensions[service].items[s2].reverse': Input should be a valid boolean, got 1. "
         "Fix: write true or false, e.g. reverse: true"),
        (lambda d: d["scale"].update(max="5"),
         "key 'scale.max': Input should be a valid integer, got '5'. Fix: write the number "
         "without quotes: max: 5"),
        (lambda d: d["scale"].update(max=True),
         "key 'scale.max': Input should be a valid integer, got true. Fix: write a whole "
         "number, e.g. max: 5"),
        (lambda d: d["bands"].update(agree=[4, "5"]),
         "key 'bands.agree[1]': Input should be a valid number, got '5'. Fix: write the number "
         "without quotes: 5"),
        (lambda d: d["dimensions"][0]["items"][0].update(id="1st item"),
         "key 'dimensions[service].items[1st item].id': String should match pattern "
         "'^[A-Za-z_][A-Za-z0-9_]*$', got '1st item'. Fix: use only letters, digits and _, not "
         "starting with a digit, e.g. id: q1st_item"),
        (lambda d: d["groups"].update(labels={"staff": [True]}),
         "key 'groups.labels.staff[0]': Input should be a valid string, got true. Fix: YAML "
         "reads unquoted yes, no, on, off, true and false as true/false: put the text in quotes"),
        (lambda d: d.update(recommend={"id": "ltr", "text": "Recommend?", "scale": {"min": 1, "max": 10}}),
         "the recommend item must use the 0-10 scale"),
    ],
)
def test_a_malformed_instrument_names_the_key(tmp_path, change, expected):
    data = yaml.safe_load(MINIMAL)
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_spss_codes_as_group_labels_are_text(tmp_path):
    data = yaml.safe_load(MINIMAL)
    data["groups"]["labels"] = {"staff": [1, 2.0]}  # unquoted codes: YAML reads numbers
    instrument = parse_instrument(yaml.safe_dump(data), "codes.yaml")
    assert instrument.groups.labels == {"staff": ["1", "2"]}


def test_unknown_name_and_non_mapping_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InstrumentError) as info:
        load_instrument("cem-maturty")
    assert str(info.value) == (
        "'cem-maturty' is neither a built-in instrument (cem-maturity, customer-feedback) nor "
        f"a file ({tmp_path / 'cem-maturty'} does not exist). Fix: use 'cem-maturity', the "
        "closest built-in name"
    )
    with pytest.raises(InstrumentError, match=r"\(.* is a folder\)\. Fix: give a built-in name"):
        load_instrument(tmp_path)
    with pytest.raises(InstrumentError, match="must be a YAML mapping"):
        parse_instrument("- just\n- a list\n", "list.yaml")
    with pytest.raises(InstrumentError, match="not valid YAML"):
        parse_instrument("name: [unclosed\n", "bad.yaml")


# -- bounds and conflicts (issue 10) ---------------------------------------------------------


def _broken(tmp_path, text: str) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert str(info.value).startswith(str(path))
    return str(info.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # these gave a traceback, a silent misreading or minutes of work before
        (lambda d: d["groups"].update(levels=["management", "staff", "staff"]),
         "key 'groups.levels': level 'staff' is listed twice. Fix: list each level once, e.g. "
         "levels: [management, staff]"),
        (lambda d: d["groups"].update(labels={"management": ["Staff"]}),
         "key 'groups.labels': label 'Staff' under 'management' is the name of the level "
         "'staff': every staff respondent would be counted as management"),
        (lambda d: d["groups"].update(labels={"management": ["Boss"], "staff": ["boss"]}),
         "key 'groups.labels': label 'boss' is under 'staff' and also under 'management'"),
        (lambda d: d["scale"].update(max=100_000_000),
         "key 'scale': a 1-100000000 scale has 100,000,000 points; at most 101 are allowed "
         "(e.g. 0-100). Fix: check min and max"),
        (lambda d: d["dimensions"][0]["items"][0].update(scale={"min": 0, "max": 101}),
         "key 'dimensions[service].items[s1].scale': a 0-101 scale has 102 points"),
        (lambda d: d["dimensions"][0]["items"][0].update(txt="x"),
         "Fix: use 'text', the closest known key"),
        (lambda d: d["groups"].update(levles=["a"]), "Fix: use 'levels', the closest known key"),
    ],
)
def test_an_instrument_that_would_misfile_or_hang_is_refused(tmp_path, change, expected):
    data = yaml.safe_load(MINIMAL)
    change(data)
    assert expected in _broken(tmp_path, yaml.safe_dump(data))


def test_a_0_to_100_scale_is_the_widest_allowed():
    data = yaml.safe_load(MINIMAL)
    data["scale"] = {"min": 0, "max": 100}
    data["bands"] = {"disagree": [0, 40], "neutral": [41, 59], "agree": [60, 100]}
    assert parse_instrument(yaml.safe_dump(data)).scale.max == 100


def test_instrument_yaml_refuses_repeated_keys_and_alias_bombs(tmp_path):
    repeated = MINIMAL.replace("scale: {min: 1, max: 5}", "scale: {min: 1, max: 5}\n"
                                                          "scale: {min: 1, max: 500}")
    assert "key 'scale' is given twice (lines 3 and 4)" in _broken(tmp_path, repeated)
    bomb = "\n".join([f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)])
    message = _broken(tmp_path, "l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + bomb + "\n"
                                + MINIMAL.replace("levels: [management, staff]", "levels: *l8"))
    assert "expands to more than 100,000 values" in message


def test_built_in_instruments_have_no_conflicting_labels():
    for name in list_instruments():
        assert load_instrument(name).groups.label_conflict() is None


# -- statements, titles and chart labels per language (issue 11, §2 and §6) -------------------


@pytest.mark.parametrize("name", ["cem-maturity", "customer-feedback"])
def test_builtin_instruments_ship_polish_statements_titles_and_short_labels(name):
    instrument = load_instrument(name)
    ids = instrument.item_ids + ([instrument.recommend.id] if instrument.recommend else [])
    for item_id in ids:
        english, polish = instrument.text_of(item_id), instrument.text_of(item_id, "pl")
        assert polish and polish != english
        for lang in ("en", "pl"):
            short = instrument.short_of(item_id, lang)
            assert "…" not in short, f"{item_id} has no short label in {lang}"
            assert len(short) <= 48 and short != item_id
        assert instrument.short_of(item_id, "pl") != instrument.short_of(item_id, "en") or (
            item_id == "sat_billing"  # "Rozliczenia i płatności" is its own short label
        )
    for dim in instrument.dimensions:
        assert instrument.title_of(dim.id, "pl") not in ("", instrument.title_of(dim.id))
    assert len({instrument.text_of(i, "pl") for i in ids}) == len(ids)  # no copy-paste


def test_english_stays_the_default_and_item_text_stays_english():
    instrument = load_instrument("cem-maturity")
    assert instrument.text_of("kpi_reward") == STUDY_ITEMS["kpi_reward"][1]
    assert instrument.item("kpi_reward").text == STUDY_ITEMS["kpi_reward"][1]
    assert instrument.dimensions[0].title == "Leadership commitment to the customer experience"
    assert instrument.title_of("leadership", "pl") == (
        "Zaangażowanie kierownictwa w doświadczenia klienta")
    assert instrument.texts_of("kpi_reward")[0] == STUDY_ITEMS["kpi_reward"][1]
    assert len(instrument.texts_of("kpi_reward")) == 2


def test_text_given_once_serves_every_language_and_short_falls_back_to_shortened_text():
    instrument = parse_instrument(MINIMAL.replace(
        "{id: s1, text: We answer quickly, source: cemlab}",
        "{id: s1, text: We answer every customer question quickly and in full and we call "
        "back when we promised to, source: cemlab, short: {en: Quick answers}}",
    ))
    assert instrument.text_of("s2", "pl") == "We rarely keep customers waiting"
    assert instrument.texts_of("s2") == ["We rarely keep customers waiting"]
    assert instrument.short_of("s1", "pl") == "Quick answers"  # no Polish label: the English
    assert instrument.short_of("s2") == "We rarely keep customers waiting"  # short enough
    long = parse_instrument(MINIMAL.replace("We answer quickly", "word " * 30))
    short = long.short_of("s1")
    assert short.endswith(" …") and len(short) <= 48 and "s1" not in short
    assert long.title_of("service", "pl") == "Service"
    with pytest.raises(KeyError, match="no dimension"):
        long.title_of("nope")


@pytest.mark.parametrize(("change", "expected"), [
    ("text: {pl: Odpowiadamy szybko}", "needs its English text too"),
    ("text: {en: We answer quickly, de: Schnell}", "text"),
    ("text: We answer quickly, short: ''", "short"),
])
def test_a_malformed_text_per_language_names_the_key(change, expected):
    text = MINIMAL.replace("text: We answer quickly", change)
    with pytest.raises(InstrumentError, match=expected) as caught:
        parse_instrument(text, "my.yaml")
    assert "dimensions[service].items[s1]" in str(caught.value)


def test_a_polish_headed_client_file_matches_the_polish_statements(tmp_path):
    from cemlab import load

    instrument = load_instrument("cem-maturity")
    header = ["Stanowisko", *(instrument.text_of(i, "pl") for i in instrument.item_ids)]
    rows = [header] + [[role, *[7] * 21] for role in ("kierownictwo", "pracownicy") * 3]
    path = tmp_path / "ankieta.csv"
    path.write_text("\n".join(";".join(map(str, row)) for row in rows), encoding="utf-8")
    survey = load(path, "cem-maturity")
    assert survey.quality.columns["kpi_reward"] == instrument.text_of("kpi_reward", "pl")
    assert survey.responses["role"].tolist() == ["management", "staff"] * 3
