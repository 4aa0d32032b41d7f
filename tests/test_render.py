"""Rendering: params validated first, one report per client, failures isolated, atomic writes.

Two kinds of test. The machinery tests render a small purpose-built notebook (written below)
for tiny clients made in tmp_path, so they check render.py alone and quickly. The end-to-end
tests render the real cemlab/notebooks/client_report.ipynb for the demo clients and compare the
numbers in the HTML with the cemlab functions' own results.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from cemlab import render
from cemlab.cli import main as cli_main
from cemlab.exceptions import RenderError
from cemlab.instrument import load_instrument

ITEMS = load_instrument("cem-maturity").item_ids
EVIL = "<script>alert(1)</script>"


# --- a tiny client and a purpose-built notebook ---------------------------------------------


def write_client(
    folder: Path,
    slug: str,
    *,
    title: str | None = None,
    managers: int = 6,
    staff: int = 9,
    seed: int = 1,
    bad_value: bool = False,
    extra: dict | None = None,
) -> Path:
    """A params file and a CSV of ``managers`` + ``staff`` respondents on cem-maturity."""
    rng = np.random.default_rng(seed)
    n = managers + staff
    data = pd.DataFrame(rng.integers(1, 11, size=(n, len(ITEMS))), columns=ITEMS)
    data.insert(0, "role", ["management"] * managers + ["staff"] * staff)
    data.insert(0, "respondent_id", range(1, n + 1))
    if bad_value:
        data[ITEMS[0]] = "agree"  # words, not scores: a DataError naming row 2 and the column
    data.to_csv(folder / f"{slug}.csv", index=False)
    params = {"client": slug, "title": title or f"{slug} CX survey", "data": f"{slug}.csv"}
    params.update(extra or {})
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def mini_notebook(path: Path) -> Path:
    """A report notebook with the real one's contract and none of its analyses.

    Sections: "Cover" loads the client (a data error fails there), "Scores" shows a table with
    the client's title in a cell, a chart, and key figures; a warning goes to stderr.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    parameters = nbformat.v4.new_code_cell(
        "params_file = None\ntitle = ''\nmin_group_size = 5\ntables_dir = None"
    )
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Client report"),
        parameters,
        nbformat.v4.new_markdown_cell("## Cover"),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\n"
            "import matplotlib.pyplot as plt\n"
            "import pandas as pd\n"
            "import cemlab\n"
            "from cemlab import report\n"
            "client = cemlab.load_client(params_file)\n"
            "tables = report.ReportTables(tables_dir, min_group_size=min_group_size)\n"
            "report.cover(client=client.params.client, title=title, wave=None,\n"
            "             group_sizes=client.survey.group_sizes().to_dict(),\n"
            "             min_group_size=min_group_size, date='today')"
        ),
        nbformat.v4.new_markdown_cell("## Scores"),
        nbformat.v4.new_code_cell(
            "import warnings\n"
            "warnings.warn('a library warning meant for the analyst only')\n"
            "scores = client.survey.items.mean().round(2).rename('mean').reset_index()\n"
            "scores['label'] = title\n"
            "tables.add('scores', scores)\n"
            "tables.respondents(client.survey.n)\n"
            "tables.key_figure('Mean score', float(client.survey.items.stack().mean().round(2)))\n"
            "plt.plot([1, 2, 3]); plt.show()\n"
            "report.show(scores, 'no scores')"
        ),
        nbformat.v4.new_code_cell(
            "import os, pathlib\npathlib.Path('kernel_cwd.txt').write_text(os.getcwd())\n"
            "tables.save();"
        ),
    ]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch of four clients: two good (one with a hostile title), bad data, bad params."""
    folder = tmp_path_factory.mktemp("clients")
    notebook = mini_notebook(folder / "mini.ipynb")
    params = folder / "params"
    params.mkdir()
    write_client(params, "alpha", seed=1)
    write_client(params, "beta", title=f"Beta {EVIL} & Co", seed=2,
                 extra={"paper": "letter", "branding": {"accent": "#a83c0f"}})
    write_client(params, "gamma", bad_value=True)
    write_client(params, "delta", extra={"colour": "blue"})  # unknown key: a params error
    reports = folder / "reports"
    cwd = os.getcwd()
    result = render.render_batch(
        [params], reports_dir=reports, jobs=2, progress=False, notebook=notebook
    )
    assert os.getcwd() == cwd  # threads share the process's folder: nothing may change it
    return result, reports, folder, notebook


def by_client(result: render.BatchResult) -> dict[str, render.ClientResult]:
    return {c.client: c for c in result.clients}


# --- machinery ------------------------------------------------------------------------------


def test_good_clients_get_every_output(batch):
    result, reports, *_ = batch
    clients = by_client(result)
    for slug in ("alpha", "beta"):
        assert clients[slug].status == "ok", clients[slug].reason
        folder = reports / slug
        assert (folder / "report.html").is_file()
        assert nbformat.read(folder / "report.ipynb", as_version=4).cells
        assert (folder / "tables" / "scores.csv").is_file()
        assert (folder / "tables" / "tables.xlsx").is_file()
        assert clients[slug].report == folder / "report.html"
    assert clients["alpha"].respondents == 15
    assert clients["alpha"].key_figures.keys() == {"Mean score"}


def test_each_kernel_runs_in_its_own_staging_folder(batch):
    _, reports, *_ = batch
    for slug in ("alpha", "beta"):
        kernel_cwd = Path((reports / slug / "kernel_cwd.txt").read_text())
        assert kernel_cwd.parent == reports
        assert kernel_cwd.name.startswith(f".{slug}.rendering-")


def test_html_is_self_contained_and_has_no_code(batch):
    _, reports, *_ = batch
    page = (reports / "alpha" / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert not re.search(r"<link[^>]*href=[\"']?(https?:)?//", page, re.I)
    assert not re.search(r"@import|url\([\"']?(https?:)?//", page, re.I)
    assert "data:image/png;base64," in page  # the chart is inlined
    assert not re.search(r'class="[^"]*jp-CodeMirrorEditor', page)  # no code cells
    assert "load_client" not in page
    assert "meant for the analyst only" not in page  # stderr stays in report.ipynb
    assert "cemlab-cover" in page


# --- the page: our own lean stylesheet, nothing loaded, paper and accent from params ---------

#: What would make a browser fetch something: a script, a stylesheet or frame by address, an
#: image or anything else whose src/href names a server, a CSS import or url() of one.
_FETCHES = re.compile(
    r"<script\b[^>]*\bsrc\s*="
    r"|<(?:link|iframe|embed|object|source|video|audio)\b"
    r"|\b(?:src|href|srcset|data|poster|action)\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|@import|url\(\s*[\"']?\s*(?!data:|#)",
    re.I,
)


def _stylesheet(page: str) -> str:
    """The report's own stylesheet: the first <style> of the page, in <head>."""
    head = page.split("</head>")[0]
    return re.search(r"<style>(.*?)</style>", head, re.S)[1]


def test_the_report_fetches_nothing_and_runs_no_script(batch, demo):
    _, reports, *_ = batch
    pages = [(reports / slug / "report.html").read_text(encoding="utf-8")
             for slug in ("alpha", "beta")] + list(demo[2].values())
    for page in pages:
        assert not _FETCHES.search(page), _FETCHES.search(page)[0]
        assert not re.search(r"<script", page, re.I)
        assert not re.search(r"https?://", _stylesheet(page))


def test_the_report_has_a_lean_stylesheet_of_its_own(batch, demo):
    _, reports, *_ = batch
    page = (reports / "alpha" / "report.html").read_text(encoding="utf-8")
    css = _stylesheet(page)
    assert len(css.encode()) < 20_000  # JupyterLab's was ~240 KB
    assert "jp-" not in page and "jupyter" not in page.lower()
    assert "font-variant-numeric: tabular-nums" in css
    assert "@page" in css and "counter(pages)" in css and "break-inside: avoid" in css
    # the demo reports: every table's figure columns set right in tabular numerals
    kestrel = demo[2]["kestrel-mobile"]
    assert kestrel.count('class="num"') + kestrel.count(' num"') > 100
    assert re.search(r'<figure class="cemlab-chart"><img [^>]*src="data:image/svg\+xml;base64,',
                     kestrel)


def test_paper_accent_and_running_header_come_from_params(batch):
    _, reports, *_ = batch
    alpha = _stylesheet((reports / "alpha" / "report.html").read_text(encoding="utf-8"))
    beta = _stylesheet((reports / "beta" / "report.html").read_text(encoding="utf-8"))
    assert "@page { size: A4; }" in alpha and "--cemlab-accent: #3b4f6b;" in alpha
    assert "@page { size: letter; }" in beta and "--cemlab-accent: #a83c0f;" in beta
    # the title heads every printed page, escaped for CSS: no "<script>" in the stylesheet
    assert "@top-left { content: \"alpha CX survey\"; }" in alpha
    header = re.search(r"@top-left \{ content: (.*?); \}", beta)[1]
    assert EVIL not in beta and "<" not in header and "script" in header
    assert 'content: "Confidential"' in alpha


def test_strings_from_params_are_escaped_in_report_and_index(batch):
    _, reports, *_ = batch
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for page in (reports / "beta" / "report.html", reports / "index.html"):
        text = page.read_text(encoding="utf-8")
        assert EVIL not in text
        assert escaped in text


def test_a_broken_client_fails_alone_with_its_reason(batch):
    result, reports, *_ = batch
    clients = by_client(result)
    assert not result.ok
    gamma = clients["gamma"]
    assert gamma.status == "failed"
    assert gamma.section == "data"
    # validate's DataError, before any kernel: the spreadsheet row (header is row 1), the column
    assert gamma.reason.startswith("survey data: ")
    assert "row 2" in gamma.reason and ITEMS[0] in gamma.reason
    assert "\n" not in gamma.reason
    assert not (reports / "gamma").exists()  # no kernel ran, and there was no report to withdraw


def test_a_params_error_fails_before_any_kernel(batch):
    result, reports, *_ = batch
    delta = by_client(result)["delta"]
    assert delta.status == "failed"
    assert delta.reason.startswith("params: ")
    assert "colour" in delta.reason
    assert not (reports / "delta").exists()  # no kernel ran, nothing written


def test_index_lists_every_client_with_status_link_and_reason(batch):
    result, reports, *_ = batch
    assert result.index == reports / "index.html"
    page = result.index.read_text(encoding="utf-8")
    for slug in ("alpha", "beta", "gamma", "delta"):
        assert f"<td>{slug}</td>" in page
    assert 'href="alpha/report.html"' in page
    assert "gamma/report.html" not in page
    assert "survey data: " in page and "row 2" in page  # reason, escaped
    assert "Mean score:" in page
    assert not re.search(r"<script|<link", page, re.I)


def test_summary_names_each_client_and_ends_with_the_index(batch):
    result, reports, *_ = batch
    lines = result.summary().splitlines()
    assert lines[-1] == f"index: {reports / 'index.html'}"
    assert "2 rendered, 0 skipped, 2 failed" in lines[-2]
    assert any(line.startswith("FAILED   gamma: survey data: ") for line in lines)


def test_skip_unchanged_keeps_reports_whose_inputs_did_not_change(batch):
    _, reports, folder, notebook = batch
    before = (reports / "alpha" / "report.html").stat().st_mtime_ns
    again = render.render_batch(
        [folder / "params" / "alpha.yaml"], reports_dir=reports, skip_unchanged=True,
        progress=False, notebook=notebook,
    )
    [alpha] = again.clients
    assert alpha.status == "skipped"
    assert alpha.respondents == 15 and "Mean score" in alpha.key_figures
    assert (reports / "alpha" / "report.html").stat().st_mtime_ns == before
    assert "unchanged" in again.index.read_text(encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads /proc (Linux)")
def test_no_kernel_outlives_the_batch(batch):
    """Forked kernels are killed at the end of their client; the factory stops with the batch.

    Only this process's own tree is looked at: other renders may run on the machine.
    """
    from test_faults import cmdline, descendants

    left = [pid for pid in descendants(os.getpid()) if b"_serve_kernels" in cmdline(pid)
            or b"ipykernel" in cmdline(pid)]
    assert left == []


def test_each_clients_line_comes_as_it_finishes(tmp_path):
    """``on_client`` hears of each client when it is done, before the next one renders."""
    for slug in ("first", "second"):
        write_client(tmp_path, slug)
    write_client(tmp_path, "broken", extra={"colour": "blue"})
    reports = tmp_path / "reports"
    heard = []

    def on_client(result):
        heard.append((result.client, result.status,
                      sorted(p.name for p in reports.iterdir() if not p.name.startswith("."))))

    render.render_batch([tmp_path], reports_dir=reports, jobs=1, progress=False,
                        notebook=mini_notebook(tmp_path / "n.ipynb"), on_client=on_client)
    # a params error is known at once; each rendered client when it is swapped into place
    assert heard == [("broken", "failed", []), ("first", "ok", ["first"]),
                     ("second", "ok", ["first", "second"])]


def test_render_client_renders_one_client_with_an_ordinary_kernel(tmp_path):
    params = write_client(tmp_path, "solo", managers=3, staff=8)
    result = render.render_client(
        params, tmp_path / "reports", notebook=mini_notebook(tmp_path / "n.ipynb")
    )
    assert result.status == "ok", result.reason
    page = result.report.read_text(encoding="utf-8")
    assert "<dt>– management</dt><dd>fewer than 5</dd>" in page
    assert "<dt>– staff</dt><dd>at least 7</dd>" in page  # 11 in all, less at most 4
    assert not (tmp_path / "reports" / "index.html").exists()  # one client: no index


def test_inputs_hash_follows_params_data_and_notebook(tmp_path):
    from cemlab.params import load_params

    write_client(tmp_path, "last-year")
    path = write_client(tmp_path, "acme", extra={"previous": {"data": "last-year.csv"}})
    parameters = load_params(path).notebook_parameters()
    first = render.inputs_hash(path, parameters, b"notebook")
    assert render.inputs_hash(path, parameters, b"notebook") == first
    assert render.inputs_hash(path, parameters, b"notebook v2") != first
    hashes = {first}
    for data in (tmp_path / "acme.csv", tmp_path / "last-year.csv"):
        data.write_text(data.read_text().replace("\n1,management,", "\n1,management,1", 1))
        hashes.add(render.inputs_hash(path, parameters, b"notebook"))
    assert len(hashes) == 3  # each data file, the previous wave's too, changes the hash


def test_a_failure_while_writing_leaves_no_report(tmp_path, monkeypatch):
    """Simulated: the HTML export dies after the notebook ran; then a Ctrl-C mid-render."""
    params = write_client(tmp_path, "acme")
    reports = tmp_path / "reports"

    def executed_then_export_dies(job, executed, tables, cwd):
        nbformat.write(nbformat.v4.new_notebook(), executed)
        (tables / "scores.csv").write_text("item,mean\n")

    def export_dies(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(render, "_execute", executed_then_export_dies)
    monkeypatch.setattr(render, "_export_html", export_dies)
    result = render.render_client(params, reports, notebook=mini_notebook(tmp_path / "n.ipynb"))
    assert result.status == "failed" and "No space left on device" in result.reason
    assert sorted(p.name for p in (reports / "acme").iterdir()) == ["failed.ipynb", "failed.txt"]

    def interrupted(job, executed, tables, cwd):
        (tables / "scores.csv").write_text("item,mean\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "_execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        render.render_client(params, reports, notebook=tmp_path / "n.ipynb")
    # the earlier folder is untouched and no staging folder is left behind
    assert sorted(p.name for p in reports.iterdir()) == ["acme"]
    assert sorted(p.name for p in (reports / "acme").iterdir()) == ["failed.ipynb", "failed.txt"]


def test_collect_params_paths_reads_folders_and_keeps_missing_files(tmp_path):
    write_client(tmp_path, "b")
    write_client(tmp_path, "a")
    (tmp_path / "notes.txt").write_text("not params")
    missing = tmp_path / "nowhere.yaml"
    found = render.collect_params_paths([tmp_path, missing])
    assert [p.name for p in found] == ["a.yaml", "b.yaml", "nowhere.yaml"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RenderError, match="no params files found"):
        render.collect_params_paths([empty])


def test_duplicate_slugs_and_missing_files_fail_as_clients(tmp_path, monkeypatch):
    first = write_client(tmp_path, "acme")
    other = tmp_path / "other"
    other.mkdir()
    second = write_client(other, "acme")
    monkeypatch.setattr(render, "_render_job", lambda job: pytest.fail("no kernel may start"))
    prepared = render._prepare(
        [first, second, tmp_path / "nowhere.yaml"], tmp_path / "reports",
        mini_notebook(tmp_path / "n.ipynb"), timeout=10,
    )
    assert [type(p).__name__ for p in prepared] == ["_Job", "ClientResult", "ClientResult"]
    assert "also rendered from" in prepared[1].reason
    assert "no such params file" in prepared[2].reason


def test_cli_exit_code_is_1_when_a_client_fails(batch, capsys):
    _, reports, folder, _ = batch
    code = cli_main(["render", str(folder / "params" / "delta.yaml"), "--reports",
                     str(reports / "cli"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED   delta: params:" in out
    assert out.rstrip().endswith(str(reports / "cli" / "index.html"))


# --- end to end: the real report notebook on the demo clients --------------------------------

DEMO_PARAMS = Path(__file__).resolve().parents[1] / "params"


def demo_variants(folder: Path) -> list[Path]:
    """Copies of the demo clients under ``folder`` (so no path in a report can point into the
    repository), and the params that `cemlab validate` once passed and render then failed.

    ``kestrel-custom``: customer feedback read with the client's own instrument, whose group
    labels the built-in one lacks; last wave's feedback inherits it. ``odd-benchmark``: a
    benchmark path that is a survey, not a benchmark CSV.
    """
    params, data = folder / "params", folder / "data"
    params.mkdir()
    data.mkdir()
    for name in ("kestrel-mobile", "brightmart", "bank-wislany"):
        shutil.copy(DEMO_PARAMS / f"{name}.yaml", params)
    for csv_file in DEMO_PARAMS.parent.joinpath("data").glob("*.csv"):
        shutil.copy(csv_file, data)
    instrument = (DEMO_PARAMS.parent / "cemlab" / "instruments" / "customer-feedback.yaml")
    (data / "kestrel-feedback.yaml").write_text(
        instrument.read_text(encoding="utf-8")
        .replace("name: customer-feedback", "name: kestrel-feedback")
        .replace("consumer: [", "consumer: [prywatny, ")
        .replace("business: [", "business: [firmowy, "),
        encoding="utf-8",
    )
    for wave in ("", "-2025"):
        source = data / f"kestrel-mobile-feedback{wave}.csv"
        (data / f"kestrel-custom-feedback{wave}.csv").write_text(
            source.read_text().replace(",consumer,", ",prywatny,")
            .replace(",business,", ",firmowy,")
        )
    custom = params / "kestrel-custom.yaml"
    custom.write_text(yaml.safe_dump({
        "client": "kestrel-custom", "title": "Kestrel, own feedback instrument",
        "data": "../data/kestrel-mobile.csv", "wave": "2026",
        "feedback": {"data": "../data/kestrel-custom-feedback.csv",
                     "instrument": "../data/kestrel-feedback.yaml"},
        "previous": {"data": "../data/kestrel-mobile-2025.csv", "wave": "2025",
                     "feedback": "../data/kestrel-custom-feedback-2025.csv"},
    }))
    odd = params / "odd-benchmark.yaml"
    odd.write_text(yaml.safe_dump({"client": "odd-benchmark", "title": "Odd benchmark",
                                   "data": "../data/brightmart.csv",
                                   "benchmark": "../data/brightmart.csv"}))
    return [params / "kestrel-mobile.yaml", params / "brightmart.yaml",
            params / "bank-wislany.yaml", custom, odd]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Kestrel Mobile (feedback and a previous wave), Brightmart (4 managers: too few), Bank
    Wiślany (a Polish report), and the clients of `demo_variants`, rendered with the real
    notebook from copies in tmp_path."""
    folder = tmp_path_factory.mktemp("demo")
    reports = folder / "reports"
    broken = write_client(folder, "broken", bad_value=True)
    short = write_client(folder, "short", extra={"sections": ["cover", "quality"]})
    result = render.render_batch(
        [*demo_variants(folder), broken, short], reports_dir=reports, jobs=2, progress=False,
    )
    pages = {
        c.client: (reports / c.client / "report.html").read_text(encoding="utf-8")
        for c in result.clients if c.ok
    }
    return result, reports, pages


def demo_client(slug: str):
    from cemlab.params import load_client

    return load_client(DEMO_PARAMS / f"{slug}.yaml")


def shown(value: float, column: str, table: pd.DataFrame | None = None) -> str:
    """A figure as the report writes it (`cemlab.labels`: whole %, means to one decimal)."""
    from cemlab.i18n import Language
    from cemlab.labels import column_kind, format_value

    return format_value(value, column_kind(column, table), Language("en"))


def test_demo_clients_render(demo):
    result, reports, pages = demo
    assert set(pages) == {"kestrel-mobile", "brightmart", "bank-wislany", "kestrel-custom",
                          "short"}, \
        result.summary()
    for page in pages.values():
        assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
        assert not re.search(r"<link[^>]*href=[\"']?(https?:)?//", page, re.I)
    # the charts are SVG (cemlab.report.chart), inlined as images: nothing in them can run;
    # one a section (agreement, scorecard, correlations, NPS, trend)
    assert pages["kestrel-mobile"].count('src="data:image/svg+xml;base64,') >= 5


def test_validate_and_render_agree_on_every_params_file(demo, batch):
    """What validate accepts, render renders; what it rejects, render fails with its reason."""
    from cemlab.validate import validate_params_file

    rendered = [*demo[0].clients, *batch[0].clients]
    assert len(rendered) == 11
    for client in rendered:
        check = validate_params_file(client.params_path)
        assert check.ok == client.ok, (client.client, client.reason, check.problems)
        if not check.ok:
            assert render._one_line(check.problems[0])[:60] in client.reason, client.client


def test_previous_feedback_with_its_own_instrument_renders_its_nps_change(demo):
    result, reports, pages = demo
    assert by_client(result)["kestrel-custom"].key_figures["NPS change, points"] != 0
    assert "NPS against the previous wave" in pages["kestrel-custom"]


def test_a_benchmark_that_is_not_one_fails_before_any_kernel(demo):
    result, reports, _ = demo
    odd = by_client(result)["odd-benchmark"]
    assert odd.section == "params" and "benchmark" in odd.reason
    assert "missing columns" in odd.reason and "Fix:" in odd.reason
    assert not (reports / "odd-benchmark").exists()


def test_each_report_folder_names_only_its_own_client_and_no_absolute_path(demo):
    """Every file of a report folder (the workbook's sheets too): no other client's name or
    files, the template's demo client's included, and no folder of this machine."""
    result, reports, _ = demo
    root = reports.parent
    others = {"brightmart": ["kestrel", "Kestrel Mobile"],
              "kestrel-mobile": ["brightmart", "Brightmart", "kestrel-custom"]}
    for client, foreign in others.items():
        for name, text in _every_text(reports / client):
            for word in [*foreign, str(root), str(DEMO_PARAMS.parent), str(Path.home())]:
                assert word not in text, f"{client}/{name} holds {word!r}"
    audit = nbformat.read(reports / "brightmart" / "report.ipynb", as_version=4)
    [injected] = [c.source for c in audit.cells
                  if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'data = "../data/brightmart.csv"' in injected  # as the params file says
    assert 'params_file = "../../params/brightmart.yaml"' in injected
    assert 'tables_dir = "tables"' in injected


def _every_text(folder: Path) -> Iterator[tuple[str, str]]:
    """``(name, text)`` of every file under ``folder``; a workbook's XML parts one by one."""
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as workbook:
                for part in workbook.namelist():
                    yield f"{path.name}:{part}", workbook.read(part).decode("utf-8", "replace")
        elif path.is_file():
            yield path.name, path.read_bytes().decode("utf-8", "replace")


def test_cover_gives_respondents_per_group(demo):
    _, _, pages = demo
    kestrel = demo_client("kestrel-mobile").survey
    sizes = kestrel.group_sizes()
    page = pages["kestrel-mobile"]
    assert f"<dd>{kestrel.n}</dd>" in page
    for level, n in sizes.items():
        assert f"<dt>– {level}</dt><dd>{n}</dd>" in page
    assert "<dt>Wave</dt><dd>2026</dd>" in page


def test_a_group_below_the_minimum_shows_no_size(demo):
    _, reports, pages = demo
    brightmart = demo_client("brightmart").survey
    assert brightmart.group_sizes()["management"] < 5  # the premise of this demo client
    page = pages["brightmart"]
    assert "<dt>– management</dt><dd>fewer than 5</dd>" in page
    assert f"<dd>{brightmart.group_sizes()['management']}</dd>" not in page
    # staff's exact size with the total would give management's away: 100 - 4 = 96
    assert "<dt>– staff</dt><dd>at least 96</dd>" in page


def test_tables_are_written_as_csv_and_one_workbook(demo):
    _, reports, _ = demo
    from openpyxl import load_workbook

    for slug in ("kestrel-mobile", "brightmart"):
        tables = reports / slug / "tables"
        csvs = {p.stem for p in tables.glob("*.csv")}
        assert {"key_figures", "data_quality"} <= csvs
        assert set(load_workbook(tables / "tables.xlsx", read_only=True).sheetnames) == csvs


def test_a_data_error_fails_before_the_notebook_runs(demo):
    result, reports, _ = demo
    broken = by_client(result)["broken"]
    assert broken.status == "failed" and broken.section == "data"
    assert broken.reason.startswith("survey data: ")
    assert "row 2" in broken.reason and ITEMS[0] in broken.reason
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "survey data: " in index


def test_sections_leave_out_what_the_params_do_not_ask_for(demo):
    _, _, pages = demo
    assert "Reliability per dimension" not in pages["short"]
    assert "Reliability per dimension" in pages["brightmart"]
    assert "Appendix: methods and full tables" in pages["short"]


def test_nps_figures_match_cemlab_nps(demo):
    from cemlab.nps import nps

    result, reports, pages = demo
    client = demo_client("kestrel-mobile")
    expected = nps(client.feedback, by="segment", min_group_size=5)
    page = pages["kestrel-mobile"]
    for row in expected.itertuples():
        assert f">{row.segment.capitalize()}<" in page
        assert f">{shown(row.nps, 'nps')}<" in page
    overall = float(expected.loc[expected["segment"] == "all", "nps"].iloc[0])
    assert by_client(result)["kestrel-mobile"].key_figures["NPS"] == pytest.approx(overall)
    assert "NPS — no customer feedback was given" in pages["brightmart"]


def test_nps_change_matches_cemlab_nps_trend(demo):
    from cemlab.trend import nps_trend

    result, reports, pages = demo
    client = demo_client("kestrel-mobile")
    expected = nps_trend(client.feedback, client.previous_feedback, min_group_size=5).iloc[0]
    page = pages["kestrel-mobile"]
    assert "NPS against the previous wave" in page
    table = expected.to_frame().T
    for column in ("nps_previous", "nps_current", "change", "ci_low", "ci_high"):
        assert f">{shown(expected[column], column, table)}<" in page, column
    figures = by_client(result)["kestrel-mobile"].key_figures
    assert figures["NPS change, points"] == pytest.approx(expected["change"])
    assert (reports / "kestrel-mobile" / "tables" / "nps_trend.csv").is_file()
    assert "NPS against the previous wave" not in pages["brightmart"]  # no feedback


def test_drivers_match_cemlab_key_drivers(demo):
    from cemlab.drivers import key_drivers
    from cemlab.report import journey_drivers

    _, _, pages = demo
    feedback = demo_client("kestrel-mobile").feedback
    expected = key_drivers(feedback, "ltr", drivers=journey_drivers(feedback), min_group_size=5)
    page = pages["kestrel-mobile"]
    for row in expected.itertuples():
        assert f">{shown(row.share_pct, 'share_pct')}<" in page  # a whole percentage
    assert "Drivers of the recommend score" not in pages["brightmart"]  # no feedback


def test_trend_matches_cemlab_trend(demo):
    from cemlab.trend import trend

    _, _, pages = demo
    client = demo_client("kestrel-mobile")
    expected = trend(client.survey, client.previous, min_group_size=5)
    page = pages["kestrel-mobile"]
    for row in expected.itertuples():
        assert f">{shown(row.mean_current, 'mean_current')}<" in page
        assert f">{shown(row.change_mean, 'change_mean')}<" in page
    assert "Trend — no previous wave was given" in pages["brightmart"]


def test_agreement_gap_matches_cemlab(demo):
    from cemlab.agreement import agreement_gap

    _, _, pages = demo
    expected = agreement_gap(demo_client("kestrel-mobile").survey, min_group_size=5)
    page = pages["kestrel-mobile"]
    for row in expected.itertuples():
        assert f">{shown(row.pct_agree_management, 'pct_agree')}<" in page
        assert f">{shown(row.pct_agree_staff, 'pct_agree')}<" in page
        assert f">{shown(row.gap_pct, 'gap_pct')}<" in page


def test_scorecard_matches_cemlab_with_target_and_benchmark_gaps(demo):
    from cemlab.scorecard import scorecard

    result, _, pages = demo
    expected = scorecard(demo_client("kestrel-mobile").survey, target=7.0,
                         benchmark="polska-2008", min_group_size=5)
    page = pages["kestrel-mobile"]
    for row in expected.itertuples():
        assert f">{shown(row.mean, 'mean')}<" in page
        assert f">{shown(row.gap_to_target, 'gap_to_target')}<" in page
    benchmarked = expected.dropna(subset=["gap_to_benchmark"])
    assert len(benchmarked) > 0
    for row in benchmarked.itertuples():
        assert f">{shown(row.benchmark_mean, 'benchmark_mean')}<" in page
        assert f">{shown(row.gap_to_benchmark, 'gap_to_benchmark')}<" in page
    lowest = float(expected.loc[expected["lowest"], "mean"].iloc[0])
    assert by_client(result)["kestrel-mobile"].key_figures["Lowest statement, mean"] == lowest


def test_a_group_below_the_minimum_shows_no_figures(demo):
    """Brightmart has 4 managers: no management figure in its HTML or its tables."""
    _, reports, pages = demo
    page = pages["brightmart"]
    # one note instead of a table of hidden figures; the section shows all respondents
    assert ("Management: not shown separately, because fewer than 5 answered; the figures are "
            "of all respondents.") in page
    assert not re.search(r"(?<!Benchmark )% agree — management", page)  # 2008's are public
    for path in (reports / "brightmart" / "tables").glob("*.csv"):
        table = pd.read_csv(path)
        for column in table.columns:
            if "management" in column and "benchmark" not in column:  # 2008's are public
                assert table[column].isna().all(), f"{path.name}: {column}"
        if "group" in table.columns:
            management = table[table["group"] == "management"]
            numbers = management.select_dtypes("number").drop(columns="n", errors="ignore")
            assert numbers.isna().all(axis=None), path.name
            assert management["n"].isna().all(), path.name  # not even its size


def test_a_small_group_leaves_the_overall_scorecard_in_the_report(demo):
    """Brightmart's 4 managers hide the group columns of its scorecard, not the scorecard."""
    from cemlab.scorecard import scorecard

    _, reports, pages = demo
    page = pages["brightmart"]
    assert "Scorecard: every figure is suppressed" not in page
    expected = scorecard(demo_client("brightmart").survey, target=7.0, benchmark="polska-2008",
                         min_group_size=5)
    assert expected["mean"].notna().all() and expected["groups_suppressed"].all()
    for row in expected.itertuples():
        assert f">{shown(row.mean, 'mean')}<" in page
    written = pd.read_csv(reports / "brightmart" / "tables" / "scorecard.csv")
    assert written["mean"].notna().all() and written["n"].notna().all()
    assert written["n_staff"].isna().all()  # n_staff = n - n_management would give it away


def test_strongest_correlations_match_cemlab(demo):
    from cemlab.correlation import top_pairs

    _, reports, pages = demo
    expected = top_pairs(demo_client("kestrel-mobile").survey, k=10, min_group_size=5)
    page = pages["kestrel-mobile"]
    for row in expected.itertuples():
        assert f">{row.r:.2f}<" in page
    assert (reports / "kestrel-mobile" / "tables" / "correlation_matrix.csv").is_file()


def test_key_findings_are_cemlab_findings(demo):
    from html import escape

    from cemlab.findings import findings

    result, _, pages = demo
    kestrel = demo_client("kestrel-mobile")
    expected = findings(kestrel.survey, feedback=kestrel.feedback, previous=kestrel.previous,
                        previous_feedback=kestrel.previous_feedback, target=7.0,
                        benchmark="polska-2008", min_group_size=5)
    page = pages["kestrel-mobile"]
    for sentence in expected["finding"]:  # as HTML text: < and & escaped, quotes as they are
        assert escape(sentence, quote=False) in page
    largest = float(expected.loc[expected["kind"] == "largest gap", "value"].iloc[0])
    figures = by_client(result)["kestrel-mobile"].key_figures
    assert figures["Largest management-staff gap, points"] == pytest.approx(largest)
    # Brightmart's four managers: the finding says no gap can be reported, with no figure
    assert "No management - staff gap can be reported" in pages["brightmart"]
    assert "Largest management-staff gap, points" not in by_client(result)["brightmart"].key_figures


# --- one notebook as HTML and slides (cemlab present) ----------------------------------------


def _presentation(folder: Path, *, fail: bool = False) -> Path:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                           "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A talk", metadata={"slideshow": {"slide_type": "slide"}}),
        nbformat.v4.new_code_cell("answer = 6 * 7", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("## Second", metadata={"slideshow": {"slide_type": "slide"}}),
        nbformat.v4.new_code_cell("1 / 0" if fail else "print(f'the answer is {answer}')"),
    ]
    path = folder / "talk.ipynb"
    nbformat.write(nb, path)
    return path


def test_render_notebook_writes_offline_html_and_slides(tmp_path, capsys):
    talk = _presentation(tmp_path)
    assert cli_main(["present", str(talk), "--reports", str(tmp_path / "out")]) == 0
    folder = tmp_path / "out" / "talk"
    pdf = ["talk.pdf"] if render.find_chromium() else []  # the handout printed, with Chromium
    assert sorted(p.name for p in folder.iterdir()) == [
        "talk.html", "talk.ipynb", *pdf, "talk.slides.html"]
    assert str(folder / "talk.slides.html") in capsys.readouterr().out
    page = (folder / "talk.html").read_text(encoding="utf-8")
    assert "the answer is 42" in page and "6 * 7" not in page  # outputs, no code
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"https?:", page)
    slides = (folder / "talk.slides.html").read_text(encoding="utf-8")
    assert slides.count("<section") >= 2 and "the answer is 42" in slides
    assert "<title>A talk" in slides
    # reveal.js is in the page, not fetched (tests/test_workshop.py opens slides offline)
    assert "Reveal.initialize(" in slides and "unpkg.com" not in slides
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", slides)


def test_render_notebook_failure_names_the_cell_and_keeps_the_old_files(tmp_path):
    out = tmp_path / "out"
    render.render_notebook(_presentation(tmp_path), out, slides=False)
    before = (out / "talk" / "talk.html").read_text(encoding="utf-8")
    with pytest.raises(RenderError, match=r"talk.ipynb: cell 2 failed: ZeroDivisionError"):
        render.render_notebook(_presentation(tmp_path, fail=True), out)
    assert (out / "talk" / "talk.html").read_text(encoding="utf-8") == before
    assert [p.name for p in out.iterdir()] == ["talk"]  # no staging folder left behind


def test_render_notebook_refuses_what_is_not_a_notebook_and_a_client_report(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# not a notebook\n")
    assert cli_main(["present", str(readme), "--reports", str(tmp_path / "out")]) == 1
    assert "not a Jupyter notebook" in capsys.readouterr().err
    # a client whose slug is the notebook's name keeps its report
    client = tmp_path / "out" / "talk"
    client.mkdir(parents=True)
    (client / "report.html").write_text("<p>a client's report</p>")
    with pytest.raises(RenderError, match="holds client 'talk''s report"):
        render.render_notebook(_presentation(tmp_path), tmp_path / "out")
    assert (client / "report.html").read_text() == "<p>a client's report</p>"


# --- issue 11: cover, contents, executive summary, findings first, language -----------------


def _text_of(page: str) -> str:
    """The report's visible text, tags removed and entities read, to find sentences in it."""
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", " ", page))


def test_cover_names_the_consultancy_and_says_confidential(demo):
    _, _, pages = demo
    for client in ("kestrel-mobile", "brightmart"):
        cover = pages[client].split('<nav class="cemlab-contents">')[0]
        assert "Customer Experience Management review" in cover and "Confidential" in cover
    assert "Poufne" in pages["bank-wislany"] and "Confidential" not in pages["bank-wislany"]


def test_the_executive_summary_follows_the_cover_with_its_headline(demo):
    from cemlab.summary import executive_summary

    _, _, pages = demo
    kestrel = demo_client("kestrel-mobile")
    summary = executive_summary(
        kestrel.survey, feedback=kestrel.feedback, previous=kestrel.previous,
        previous_feedback=kestrel.previous_feedback, target=7.0, benchmark="polska-2008",
        min_group_size=5)
    page = pages["kestrel-mobile"]
    assert '<h2 id="executive-summary">Executive summary</h2>' in page
    assert page.index("cemlab-cover-page") < page.index('id="executive-summary"') < page.index(
        'id="key-findings"')
    text = _text_of(page)
    assert summary.headline in text
    for point in [*summary.strengths, *summary.priorities]:
        assert point.sentence in text
    assert '<a href="#executive-summary">' in page  # the contents link to it
    # a report without findings has no summary of them, and no link to one
    assert "executive-summary" not in pages["short"]


def test_kestrels_first_finding_is_the_change_in_nps(demo):
    _, _, pages = demo
    findings_part = pages["kestrel-mobile"].split('id="key-findings"')[1]
    first_row = _text_of(findings_part.split("<tbody>")[1].split("</tr>")[0])
    # cemlab.nps_trend on the demo feedback: 2 (2025) -> 17 (2026), +14.6, z-test p = 0.001
    assert "The Net Promoter Score rose 15 points since 2025" in first_row
    assert "+15 NPS pts" in first_row and "0.001" in first_row


def test_a_polish_client_gets_a_polish_report(demo):
    _, _, pages = demo
    page = pages["bank-wislany"]
    assert '<html lang="pl"' in page and '<html lang="en"' in pages["kestrel-mobile"]
    for heading in ("Spis treści", "Podsumowanie dla zarządu", "Najważniejsze wnioski",
                    "Mocne strony", "Priorytety", "Załącznik: metody i pełne tabele"):
        assert heading in page, heading
    assert "Executive summary" not in page and "Key findings" not in page
    assert "Średnia dojrzałość CEM wynosi" in page  # the headline, with a decimal comma
    assert re.search(r"wynosi \d,\d w skali", page)
