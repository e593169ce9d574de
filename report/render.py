"""The report's templates, and the one function that writes report.html and report.pdf."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def template_environment(extra_folders=()):
    """The shipped templates, then folders of sections that live outside mkreport."""
    import jinja2

    folders = [Path(str(resources.files("templates"))), *extra_folders]
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(f) for f in folders]), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def write_report(store, context: dict, extra_folders=()) -> tuple[Path, Path]:
    from weasyprint import HTML

    html = template_environment(extra_folders).get_template("report.html").render(**context)
    html_path = store.write_output("report.html", html)
    pdf = HTML(string=html, base_url=str(store.output.resolve()) + "/").write_pdf()
    return html_path, store.write_output("report.pdf", pdf)
