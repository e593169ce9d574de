"""The report's templates, and the one function that writes report.html and report.pdf."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import ConfigError


def template_environment(user_folder: Path | None = None, extra_folders=()):
    """The user's templates first (a file there replaces the shipped one of the same name), then
    the shipped templates, then folders of sections that live outside mkreport."""
    import jinja2

    if user_folder is not None and not Path(user_folder).is_dir():
        raise ConfigError(f"the templates folder {user_folder} does not exist")
    shipped = [Path(str(resources.files("templates"))), *extra_folders]
    loaders = [jinja2.FileSystemLoader(str(user_folder))] if user_folder else []
    loaders.append(jinja2.FileSystemLoader([str(f) for f in shipped]))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(context: dict, user_folder: Path | None = None, extra_folders=()) -> str:
    """report.html's text; a template that is missing or broken is one error naming it."""
    import jinja2

    environment = template_environment(user_folder, extra_folders)
    try:
        return environment.get_template("report.html").render(**context)
    except jinja2.TemplateSyntaxError as error:
        raise ConfigError(f"template {error.filename or error.name}, line {error.lineno}: {error.message}") from None
    except jinja2.TemplateNotFound as error:
        raise ConfigError(f"template {error.name} not found (in {user_folder or 'the shipped templates'})") from None
    except jinja2.UndefinedError as error:
        raise ConfigError(f"a template uses something the report does not have: {error.message}"
                          + (f" (templates folder {user_folder})" if user_folder else "")) from None


def write_report(store, context: dict, user_folder: Path | None = None, extra_folders=()) -> tuple[Path, Path]:
    from weasyprint import HTML

    html = render_html(context, user_folder, extra_folders)
    html_path = store.write_output("report.html", html)
    pdf = HTML(string=html, base_url=str(store.output.resolve()) + "/").write_pdf()
    return html_path, store.write_output("report.pdf", pdf)
