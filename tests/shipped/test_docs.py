"""The generated results pages (docs/results/*.md) say what the committed JSON says: `python -m bnn docs --check`."""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT

from bnn.cli import main
from bnn.figures.pages import PAGES, render_pages, stale_pages


def test_every_results_page_is_what_its_json_gives():
    assert main(["docs", "--check", "--root", str(ROOT)]) == 0


def test_a_changed_figure_makes_its_page_stale(tmp_path):
    for relative in ["assets", "bench", "docs"]:
        (tmp_path / relative).symlink_to(ROOT / relative) if relative != "docs" else None
    (tmp_path / "docs" / "results").mkdir(parents=True)
    pages = render_pages(ROOT)
    for relative, text in pages.items():
        (tmp_path / relative).write_text(text)
    assert stale_pages(tmp_path) == []
    shift = tmp_path / "docs" / "results" / "shift.md"
    shift.write_text(shift.read_text().replace("0.", "1.", 1))
    assert stale_pages(tmp_path) == [Path("docs/results/shift.md")]
    assert main(["docs", "--check", "--root", str(tmp_path)]) == 1


def test_each_page_names_its_sources_and_the_command_that_measures_them_again():
    pages = render_pages(ROOT)
    assert len(PAGES) == 10 and len(pages) == len(PAGES) + 1  # and the teaching page's learning curves
    assert 'id="teaching-curves"' in pages[Path("docs/results/teaching-curves.html")]
    for page in PAGES:
        text = pages[Path("docs/results") / f"{page.name}.md"]
        assert all(f"`{source}`" in text for source in page.sources)
        assert all(command in text for command in page.commands) and "Machine: " in text


def test_the_pages_do_not_depend_on_plotlys_default_template(monkeypatch):
    """Importing Streamlit (as the app tests do) makes its own theme Plotly's default template; the generated pages
    must be the same whatever ran before them in the suite."""
    import plotly.io as pio

    before = render_pages(ROOT)
    monkeypatch.setattr(pio.templates, "default", "plotly_dark")
    assert render_pages(ROOT) == before
