"""The report's templates, and the one function that writes report.html and report.pdf.

Templates may come from someone else (a student's folder built by a TA): every template, shipped
or the user's, runs in Jinja's immutable sandbox, so it can print what the report gives it but
not reach Python (no `__globals__`, no `os`); and the PDF renderer fetches nothing: report.html
embeds every figure and stylesheet, so any other URL a template or stylesheet names — a local
file, http(s), an @import — is refused and named in one warning.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import ConfigError


def template_environment(user_folder: Path | None = None, extra_folders=()):
    """The user's templates first (a file there replaces the shipped one of the same name), then
    the shipped templates, then folders of sections that live outside mkreport."""
    import jinja2

    if user_folder is not None and not Path(user_folder).is_dir():
        raise ConfigError(f"the templates folder {user_folder} does not exist")
    shipped = [Path(str(resources.files("templates"))), *extra_folders]
    loaders = [_InsideLoader(str(user_folder))] if user_folder else []
    loaders.append(jinja2.FileSystemLoader([str(f) for f in shipped]))
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from ..stats.claims import count

    environment = ImmutableSandboxedEnvironment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                                                undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["counted"] = count   # {{ d.seeds|counted("seed") }}: "1 seed", "3 seeds" (Jinja's own count is len)
    return environment


def _inside(path: Path, folder: Path) -> bool:
    """Whether path, its links followed, lies inside folder (its links followed too)."""
    return Path(folder).resolve() in Path(path).resolve().parents


def _InsideLoader(folder: str):
    """A FileSystemLoader over a user's templates folder that refuses a template or stylesheet whose
    real path (links followed) lies outside the folder: a link to any file would embed it in the report."""
    import jinja2

    class InsideLoader(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            found = super().get_source(environment, template)
            if not _inside(Path(found[1]), Path(folder)):
                raise ConfigError(f"template {found[1]} is a link to a file outside the templates folder {folder} "
                                  "(it would be embedded in the report); copy the file into the folder instead")
            return found

    return InsideLoader(folder)


def templates_folder(settings, config: dict) -> Path | None:
    """--templates (none: the shipped ones), else [report] templates_dir, else None."""
    if settings.templates == "none":
        return None
    folder = settings.templates or config["report"]["templates_dir"] or None
    return Path(folder) if folder else None


def check_templates(folder: Path | None) -> None:
    """Before anything trains: the folder exists and each of its templates parses (ConfigError naming
    the file and line otherwise), so a typo costs seconds, not a build."""
    import jinja2

    if folder is None:
        return
    environment = template_environment(folder)
    for path in sorted([*Path(folder).rglob("*.html"), *Path(folder).rglob("*.css")]):
        if not _inside(path, Path(folder)):
            raise ConfigError(f"template {path} is a link to a file outside the templates folder {folder} "
                              "(it would be embedded in the report); copy the file into the folder instead")
        if path.suffix == ".css":
            continue
        try:
            environment.parse(path.read_text(encoding="utf-8"), path.name, str(path))
        except jinja2.TemplateSyntaxError as error:
            raise ConfigError(f"template {path}, line {error.lineno}: {error.message}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"template {path} cannot be read: {error}") from None


# report.html embeds what it shows; a browser opening it (a TA's, reading a student's folder) is told to
# fetch nothing else — a stylesheet's remote @import, font or background, a template's remote image or
# script — by a Content-Security-Policy put first in <head>, whatever the templates say.
CSP = ("default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
       "form-action 'none'")
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


def with_policy(html: str) -> str:
    """The CSP meta as the first element of <head> (before any stylesheet a browser would load)."""
    import re

    head = re.search(r"<head\b[^>]*>", html, flags=re.I)
    if head:
        return html[:head.end()] + "\n" + CSP_META + html[head.end():]
    return CSP_META + "\n" + html   # no <head>: a leading meta opens one


def render_html(context: dict, user_folder: Path | None = None, extra_folders=()) -> str:
    """report.html's text; a template that is missing or broken is one error naming it."""
    import jinja2

    environment = template_environment(user_folder, extra_folders)
    try:
        return with_policy(environment.get_template("report.html").render(**context))
    except jinja2.exceptions.SecurityError as error:
        raise ConfigError(f"a template tried something templates may not do ({error}); it was stopped"
                          + (f" (templates folder {user_folder})" if user_folder else "")) from None
    except jinja2.TemplateSyntaxError as error:
        raise ConfigError(f"template {error.filename or error.name}, line {error.lineno}: {error.message}") from None
    except jinja2.TemplateNotFound as error:
        raise ConfigError(f"template {error.name} not found (in {user_folder or 'the shipped templates'})") from None
    except jinja2.UndefinedError as error:
        raise ConfigError(f"a template uses something the report does not have: {error.message}"
                          + (f" (templates folder {user_folder})" if user_folder else "")) from None


def pdf_bytes(html: str, base_url: str) -> tuple[bytes, list[str]]:
    """The PDF of a self-contained report.html, and the URLs it named that were refused."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    refused = []

    class DataURLsOnly(URLFetcher):
        """WeasyPrint's own fetcher limited to data: URIs (its allowed_protocols), noting the rest."""

        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                refused.append(url)
            return super().fetch(url, headers)

    pdf = HTML(string=html, base_url=base_url, url_fetcher=DataURLsOnly(allowed_protocols={"data"})).write_pdf()
    return pdf, list(dict.fromkeys(refused))


def markdown_of(html: str) -> str:
    """GitHub-flavoured Markdown of a rendered report (headings, paragraphs, tables, image links):
    markdownify, a maintained HTML-to-Markdown converter, rather than a second set of templates. Text
    stays text (a claim or title holding "<script>" or "![x](/etc/passwd)" is escaped, not markup), a
    link keeps its target only for http(s), mailto and #anchors, and an image only for the figures
    folder and embedded data: images."""
    import re

    html = re.sub(r"<(style|title|nav)\b.*?</\1>", "", html, flags=re.S)
    text = _safe_converter()(heading_style="ATX", bullets="-", table_infer_header=True).convert(html)
    return re.sub(r"\n{3,}", "\n\n", _table_headers(text)).strip() + "\n"


def _safe_converter():
    """markdownify's converter, holding text to text and links and images to safe targets (imported here:
    markdownify loads when a report is written, not with this module)."""
    import re

    from markdownify import MarkdownConverter

    class SafeConverter(MarkdownConverter):
        def escape(self, text, parent_tags):
            text = super().escape(text, parent_tags)
            if "_noformat" in parent_tags:     # code: shown as written
                return text
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            return re.sub(r"([\[\]])", r"\\\1", text)

        def convert_a(self, el, text, parent_tags):
            href = el.get("href") or ""
            if not re.match(r"(https?:|mailto:|#)", href):
                el.attrs.pop("href", None)    # javascript:, file:, a path: shown as its text
            return super().convert_a(el, text, parent_tags)

        def convert_img(self, el, text, parent_tags):
            src = el.attrs.get("src") or ""
            if not (re.fullmatch(r"figures/[\w.-]+\.png", src) or re.match(r"data:image/(png|jpeg|gif|svg\+xml);base64,", src)):
                return el.attrs.get("alt") or ""
            el.attrs["alt"] = re.sub(r"[\[\]]", "", el.attrs.get("alt") or "")
            return super().convert_img(el, text, parent_tags)

    return SafeConverter



def _table_headers(text: str) -> str:
    """GitHub shows a table only under a '| --- |' line after its first row; add it where missing."""
    lines, out = text.split("\n"), []
    for index, line in enumerate(lines):
        out.append(line)
        starts_table = line.startswith("|") and (index == 0 or not lines[index - 1].startswith("|"))
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if starts_table and not following.startswith("| ---") and not following.startswith("|---"):
            out.append("|" + " --- |" * (line.count("|") - 1))
    return "\n".join(out)


def write_report(store, context: dict, user_folder: Path | None = None, extra_folders=(), warn=None,
                 linked_context: dict | None = None) -> tuple[Path, Path]:
    """report.html and report.pdf (and report.md from linked_context, whose figures are relative paths);
    warn(line) is told of every URL the PDF renderer refused to fetch."""
    html = render_html(context, user_folder, extra_folders)
    markdown = markdown_of(render_html(linked_context, user_folder, extra_folders)) if linked_context else None
    pdf, refused = pdf_bytes(html, str(store.output.resolve()) + "/")
    for url in refused:
        if warn:
            warn(f"warning: not fetched for the PDF (the report embeds what it shows): {url[:200]}")
    # both made before either is written: a failed or stopped PDF leaves the old pair, not a new HTML beside an old PDF
    html_path = store.write_output("report.html", html)
    if markdown is not None:
        store.write_output("report.md", markdown)
    return html_path, store.write_output("report.pdf", pdf)
