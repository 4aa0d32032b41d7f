"""The seeded generator: deterministic, hits its targets exactly, explains bad specs clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cemlab import load_instrument
from cemlab.synth import (
    Spec,
    SpecError,
    demo_studies,
    generate,
    load_spec,
    load_study,
    main,
    shifted,
    write_csv,
)

ROOT = Path(__file__).resolve().parents[1]
ITEMS = load_instrument("cem-maturity").item_ids

SPEC = {
    "groups": {"management": 50, "staff": 150},
    "structure": {"general": 0.5, "dimension": 0.4, "group_shift": {"management": 0.5},
                  "pairs": [{"items": ["cust_profitable", "kpi_reward"], "r": 0.5}]},
    "default": {"management": {"mean": 6.5}, "staff": {"mean": 5.5}},
    "items": {
        "lead_decisions": {"management": {"pct_agree": 62, "pct_disagree": 10, "mean": 7.1},
                           "staff": {"pct_agree": 40}},
        "meas_scorecard": {"management": {"pct_disagree": 54}, "all": {"mean": 4.6}},
        "kpi_monitor": {"all": {"pct_agree": 35, "pct_disagree": 35}},
    },
}


def _csv_bytes(frame: pd.DataFrame, tmp_path: Path, name: str) -> bytes:
    return write_csv(frame, tmp_path / name).read_bytes()


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    first = _csv_bytes(generate(SPEC, seed=7), tmp_path, "a.csv")
    again = _csv_bytes(generate(SPEC, seed=7), tmp_path, "b.csv")
    other = _csv_bytes(generate(SPEC, seed=8), tmp_path, "c.csv")
    assert first == again
    assert first != other


def test_shape_and_columns():
    df = generate(SPEC, seed=1)
    assert list(df.columns) == ["respondent_id", "role", *ITEMS]
    assert df["respondent_id"].tolist() == list(range(1, 201))
    assert df["role"].value_counts().to_dict() == {"staff": 150, "management": 50}
    assert df[ITEMS].isin(range(1, 11)).all().all()
    assert all(df[i].dtype == np.int64 for i in ITEMS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_targets_are_exact_to_the_nearest_respondent(seed):
    df = generate(SPEC, seed=seed)
    management = df[df.role == "management"]
    staff = df[df.role == "staff"]
    # 62% of 50 = 31 agree (7-10), 10% = 5 disagree (1-4), mean 7.1 = sum 355
    assert (management.lead_decisions >= 7).sum() == 31
    assert (management.lead_decisions <= 4).sum() == 5
    assert management.lead_decisions.sum() == 355
    assert (staff.lead_decisions >= 7).sum() == 60  # 40% of 150
    # management's own share, the mean over everyone
    assert (management.meas_scorecard <= 4).sum() == 27  # 54% of 50
    assert df.meas_scorecard.sum() == 920  # 4.6 x 200
    # only 'all' targets: 35% of 200 = 70 each way
    assert (df.kpi_monitor >= 7).sum() == (df.kpi_monitor <= 4).sum() == 70
    # a mean-only default
    assert management.value_known.sum() == 325 and staff.value_known.sum() == 825


def test_correlations_come_from_the_latent_structure():
    df = generate(SPEC, seed=4)
    corr = df[ITEMS].corr(method="spearman")
    # same dimension (0.5^2 + 0.4^2 = 0.41 latent) beats different dimensions (0.25)
    assert corr.loc["value_known", "value_asked"] > corr.loc["value_known", "brand_promise"]
    # the extra pair (0.25 + 0.5 latent) is the strongest of all pairs
    upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1)).stack()
    assert upper.idxmax() == ("cust_profitable", "kpi_reward")
    # only pooled targets let the management shift show: kpi_monitor is pooled
    by_role = df.groupby("role").kpi_monitor.mean()
    assert by_role["management"] > by_role["staff"] + 0.5


def test_missing_answers_and_segments():
    spec = {**SPEC, "missing": 0.05,
            "segments": {"column": "segment", "shares": {"north": 3, "south": 1}}, "wave": "w1"}
    df = generate(spec, seed=3)
    assert list(df.columns[:4]) == ["respondent_id", "role", "segment", "wave"]
    assert df.segment.value_counts().to_dict() == {"north": 150, "south": 50}
    assert (df.wave == "w1").all()
    blank = df[ITEMS].isna().to_numpy().mean()
    assert 0.03 < blank < 0.07
    # shares are of those who answered: 35% agree among the kpi_monitor answers, to 1 respondent
    answered = df.kpi_monitor.dropna()
    assert abs((answered >= 7).sum() - 0.35 * len(answered)) <= 0.5


def test_customer_feedback_promoters_and_drivers():
    spec = {
        "instrument": "customer-feedback",
        "groups": {"consumer": 300, "business": 100},
        "structure": {"general": 0.3, "dimension": 0.4,
                      "loadings": {"ltr": {"general": 0.9}, "sat_service": {"general": 0.8},
                                   "sat_awareness": {"general": 0.0}}},
        "items": {"ltr": {"consumer": {"pct_promoters": 40, "pct_detractors": 20},
                          "business": {"pct_promoters": 30, "mean": 7.0}}},
        "default": {"all": {"mean": 7.0}},
    }
    df = generate(spec, seed=5)
    assert list(df.columns[:3]) == ["respondent_id", "segment", "ltr"]
    consumer = df[df.segment == "consumer"].ltr
    assert (consumer >= 9).sum() == 120 and (consumer <= 6).sum() == 60
    assert df[df.segment == "business"].ltr.sum() == 700
    corr = df.drop(columns=["respondent_id", "segment"]).corr(method="spearman")["ltr"]
    assert corr["sat_service"] > 0.5 > corr["sat_awareness"]


def test_shifted_moves_every_item():
    spec = load_spec(SPEC)
    earlier = shifted(spec, -0.6, wave="2025")
    now, then = generate(spec, seed=1), generate(earlier, seed=2)
    assert (then.wave == "2025").all()
    change = then[ITEMS].mean() - now[ITEMS].mean()
    assert change.between(-0.9, -0.3).all(), change
    assert shifted(SPEC, -0.6, wave="2025") == earlier  # a dict spec, as generate takes


def test_shifted_by_item_and_dimension():
    # a wave in which measurement was a point higher, one statement unchanged, the rest lower
    by = {"measurement": 1.0, "lead_decisions": 0.0, "meas_touchpoints": -1.0}
    earlier = shifted(SPEC, -0.6, by=by)
    now, then = generate(SPEC, seed=1), generate(earlier, seed=2)
    change = then[ITEMS].mean() - now[ITEMS].mean()
    assert 0.6 < change["meas_scorecard"] < 1.2  # its dimension's entry
    assert -1.2 < change["meas_touchpoints"] < -0.6  # an item's entry wins over its dimension's
    assert abs(change["lead_decisions"]) < 0.25
    others = change.drop(["meas_scorecard", "meas_touchpoints", "lead_decisions"])
    assert others.between(-0.9, -0.3).all(), others
    with pytest.raises(SpecError, match=r"shift by item names \['measurment'\]"):
        shifted(SPEC, -0.5, by={"measurment": 1.0})
    # brand_promise is a statement and its practice's id: it moves the statement only
    moved = generate(shifted(SPEC, 0.0, by={"brand_promise": 1.0}), seed=2)[ITEMS].mean()
    same = generate(shifted(SPEC, 0.0), seed=2)[ITEMS].mean()
    assert moved["brand_promise"] - same["brand_promise"] > 0.6
    assert moved["brand_touchline"] == same["brand_touchline"]


def test_a_study_data_set_shifted_by_item(tmp_path):
    base = {"file": "now.csv", "seed": 1, "spec": SPEC}
    study = {"name": "waves", "title": "Two waves", "datasets": [
        base, {"file": "then.csv", "seed": 2, "based_on": "now.csv", "shift": -0.5,
               "shift_by": {"kpis": 0.5}}]}
    path = tmp_path / "waves.yaml"
    path.write_text(yaml.safe_dump(study))
    frames = load_study(path).frames()
    change = frames["then.csv"][ITEMS].mean() - frames["now.csv"][ITEMS].mean()
    assert change["kpi_reward"] > 0.2 and change["value_known"] < -0.2
    # shifting belongs to a data set made from another; a spec of its own states its targets
    path.write_text(yaml.safe_dump({**study, "datasets": [{**base, "shift_by": {"kpis": 1}}]}))
    with pytest.raises(SpecError, match="'shift' and 'shift_by' move a data set 'based_on'"):
        load_study(path)


def test_spec_round_trips_through_yaml(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    assert load_spec(path) == Spec.model_validate(SPEC)
    pd.testing.assert_frame_equal(generate(path, seed=3), generate(SPEC, seed=3))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"items": {"lead_x": {"all": {"mean": 5}}}}, "unknown item 'lead_x'"),
        ({"groups": {"managers": 5, "staff": 5}}, "'groups' names ['managers']"),
        ({"groups": {"management": 0, "staff": 5}}, "group 'management' has 0 respondents"),
        ({"items": {"kpi_reward": {"boss": {"mean": 5}}}}, "'items.kpi_reward' has targets for"),
        ({"items": {"kpi_reward": {"all": {"pct_agree": 70, "pct_disagree": 40}}}},
         "more than 100%"),
        ({"items": {"kpi_reward": {"all": {}}}}, "needs at least one of"),
        ({"items": {"kpi_reward": {"management": {"pct_agree": 90, "mean": 3},
                                   "staff": {"mean": 5}}}},
         "a mean of 3.00 cannot go with these band shares"),
        ({"items": {"kpi_reward": {"management": {"mean": 5}, "staff": {"mean": 5},
                                   "all": {"mean": 5}}}}, "at least one group has no targets"),
        ({"structure": {"general": 0.9, "dimension": 0.9}}, "more than 1"),
        ({"default": {}}, "has no targets"),
        ({"items": {"kpi_reward": {"all": {"pct_promoters": 50}}}}, "only for the 0-10 recommend"),
        ({"instrument": "no-such-instrument"}, "spec key 'instrument'"),
        ({"colour": "blue"}, "key 'colour': unknown key"),
    ],
)
def test_bad_specs_get_clear_errors(change, message):
    with pytest.raises(SpecError) as err:
        generate({**SPEC, **change}, seed=1)
    assert message in str(err.value)


def test_no_seed_is_an_error():
    with pytest.raises(SpecError, match="no seed"):
        generate(SPEC)


def test_write_csv_is_deterministic_and_polish_ready(tmp_path):
    frame = pd.DataFrame({"Stanowisko": ["Zarząd", "Pracownik"], "waga": [1.25, 0.5],
                          "P1": pd.array([7, None], dtype="Int64")})
    path = write_csv(frame, tmp_path / "x.csv", encoding="cp1250", sep=";", decimal=",",
                     na_rep="nie wiem")
    assert path.read_bytes() == "Stanowisko;waga;P1\nZarząd;1,25;7\nPracownik;0,50;nie wiem\n" \
        .encode("cp1250")
    crlf = write_csv(frame.iloc[:1], tmp_path / "y.csv", line_end="\r\n").read_bytes()
    assert crlf == b"Stanowisko,waga,P1\r\nZarz\xc4\x85d,1.25,7\r\n"


# -- the committed demo data --------------------------------------------------------------


@pytest.mark.parametrize("study", demo_studies(), ids=lambda s: s.name)
def test_demo_data_regenerates_byte_for_byte(study, tmp_path):
    for path in study.write(tmp_path):
        assert path.read_bytes() == (ROOT / "data" / path.name).read_bytes(), path.name


def test_every_demo_client_has_params_pointing_at_existing_data():
    for study in demo_studies():
        params = yaml.safe_load((ROOT / "params" / f"{study.name}.yaml").read_text("utf-8"))
        assert params["client"] == study.name
        for key in ("data", "feedback", "previous"):
            if key in params:
                data = params[key]["data"] if isinstance(params[key], dict) else params[key]
                assert (ROOT / "params" / data).resolve().is_file(), (study.name, key)


def test_polish_client_file_matches_its_params():
    study = load_study("bank-wislany")
    params = yaml.safe_load((ROOT / "params" / "bank-wislany.yaml").read_text("utf-8"))
    fmt = study.datasets[0].format
    assert params["columns"] == fmt.headers
    raw = (ROOT / "data" / "bank-wislany.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really Windows-1250, as Polish Excel writes it
    assert raw.count(b"\r\n") == 216  # header + 215 respondents, Windows line ends
    df = pd.read_csv(ROOT / "data" / "bank-wislany.csv", sep=";", encoding="cp1250", dtype=str)
    assert list(df.columns) == [fmt.headers.get(c, c) for c in
                                ["respondent_id", "role", "segment", *ITEMS]]
    assert set(df["Stanowisko"]) == {"Kierownictwo", "Zarząd", "Pracownik"}
    labels = params["group_labels"]
    assert (df["Stanowisko"].isin(labels["management"])).sum() == 35
    assert (df == "nie wiem").to_numpy().sum() > 50


def test_small_management_group_for_suppression():
    df = pd.read_csv(ROOT / "data" / "brightmart.csv")
    assert (df.role == "management").sum() == 4


def test_readme_spec_example_runs():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("### Making your own teaching data", 1)[1]
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    df = generate(example, seed=1)
    management = df[df.role == "management"].lead_decisions.dropna()
    assert abs((management >= 7).mean() * 100 - 63) <= 100 / len(management) / 2


def test_a_consultants_four_point_instrument_without_neutral_band(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text(
        "name: four-point\nscale: {min: 1, max: 4}\nbands: {disagree: [1, 2], agree: [3, 4]}\n"
        "groups: {column: team, levels: [a, b]}\ndimensions:\n  - id: d1\n    title: One\n"
        "    items:\n      - {id: q1, text: First, source: cemlab}\n"
        "      - {id: q2, text: Second, source: cemlab}\n"
    )
    df = generate({"instrument": str(path), "groups": {"a": 30, "b": 70},
                   "items": {"q1": {"a": {"pct_agree": 60}, "b": {"mean": 2.2}}},
                   "default": {"all": {"pct_disagree": 45, "mean": 2.6}}}, seed=3)
    assert list(df.columns) == ["respondent_id", "team", "q1", "q2"]
    assert (df[df.team == "a"].q1 >= 3).sum() == 18  # 60% of 30
    assert df[df.team == "b"].q1.sum() == 154  # 2.2 x 70
    assert (df.q2 <= 2).sum() == 45 and df.q2.sum() == 260


def test_command_line(tmp_path, capsys):
    assert main(["polska-2008", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "polska-2008.csv").read_bytes() == \
        (ROOT / "data" / "polska-2008.csv").read_bytes()
    assert main(["no-such-study"]) == 1
    assert "one of bank-wislany" in capsys.readouterr().err
