"""The user's own words: Markdown notes inserted into the report.

A notes folder holds intro.md, <section>.md (after that section's findings, under "Discussion"),
conclusion.md, and deconvnet-paper.md / compare-discussion.md, which replace mkreport's default
text for the paper summary and the CNN-versus-RNN discussion. Markdown is rendered by
markdown-it-py (CommonMark with GitHub's tables and $…$ math, drawn as SVG by matplotlib's mathtext) with raw HTML off: a <script> in a note is shown
as text, never run. A line that is only an HTML comment (the hints `mkreport notes --init`
writes) is left out, and a note with nothing else is treated as absent.

An image in a note is embedded (a data: URI) when it is a PNG, JPEG or GIF file inside the notes
folder; any other source (a path outside the folder, http(s), another type) is left out with one
warning naming the note, so a report never carries or fetches a file its author did not put there.
A note over MAX_NOTE_BYTES is refused before it is read.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError

REPLACEABLE = {"deconvnet-paper": "the summary of Zeiler & Fergus's paper (Section 3.1)",
               "compare-discussion": "the discussion of CNN versus RNN (Section 5.2)"}
_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$", re.MULTILINE)
MAX_NOTE_BYTES = 1_000_000      # a page of words is 3 kB: a larger note is a mistake, and slow to lay out
MAX_IMAGE_BYTES = 5_000_000
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
# Each formula is drawn by matplotlib's mathtext (≈ 35 ms; its parser recurses with the nesting), so what
# a report's notes may hold is bounded: any input inside these renders in seconds.
MAX_FORMULAS = 200          # $…$ in all notes together
MAX_FORMULA_CHARS = 1_000
MAX_FORMULA_DEPTH = 10      # { … } nested
MATH_TOKENS = ("math_inline", "math_inline_double", "math_block")


def note_names(section_names) -> dict[str, str]:
    """Every note file's stem → what it is for (the hint `notes --init` writes)."""
    names = {"intro": "an introduction, before the first section"}
    names.update({name: f"your discussion of the {name} section, after its findings" for name in section_names})
    names.update(REPLACEABLE)
    names["conclusion"] = "a conclusion, after the last section"
    return names


def notes_folder(settings, config: dict) -> Path | None:
    """--notes (none: no notes), else [report] notes_dir, else notes/ beside the config file, else
    ./notes (where `mkreport notes --init` writes them): the first that is given or exists."""
    if settings.notes == "none":
        return None
    if settings.notes:
        return Path(settings.notes)
    if config["report"]["notes_dir"]:
        return Path(config["report"]["notes_dir"])
    if settings.config and (Path(settings.config).parent / "notes").is_dir():
        return Path(settings.config).parent / "notes"
    if Path("notes").is_dir():  # where `mkreport notes --init` writes them
        return Path("notes").resolve()
    return None


def _markdown():
    """markdown-it with GitHub's tables and $…$ math drawn as images; raw HTML off."""
    from markdown_it import MarkdownIt

    from mdit_py_plugins.dollarmath import dollarmath_plugin

    markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])  # GFM tables
    markdown.use(dollarmath_plugin, double_inline=True)        # $x^2$ and $$…$$
    markdown.add_render_rule("math_inline", lambda renderer, tokens, i, *_: _math_image(tokens[i].content, "math"))
    markdown.add_render_rule("math_inline_double", lambda renderer, tokens, i, *_: _math_image(tokens[i].content, "math-block"))
    markdown.add_render_rule("math_block", lambda renderer, tokens, i, *_: _math_image(tokens[i].content, "math-block"))
    return markdown


def _formulas(tokens):
    """Every $…$ formula's TeX in parsed tokens."""
    for token in tokens:
        if token.type in MATH_TOKENS:
            yield token.content
        yield from _formulas(token.children or ())


def _check_formulas(parsed: dict[Path, list]) -> None:
    """ConfigError naming the note and the limit for math beyond MAX_FORMULAS, _CHARS or _DEPTH."""
    count = 0
    for path, tokens in parsed.items():
        for tex in _formulas(tokens):
            count += 1
            depth = deepest = 0
            for char in tex:
                depth += (char == "{") - (char == "}")
                deepest = max(deepest, depth)
            if deepest > MAX_FORMULA_DEPTH:
                raise ConfigError(f"note {path}: a formula nests {deepest} braces deep ({tex[:30]!r}…); at most "
                                  f"{MAX_FORMULA_DEPTH} levels are drawn")
            if len(tex) > MAX_FORMULA_CHARS:
                raise ConfigError(f"note {path}: a formula of {len(tex):,} characters ({tex[:30]!r}…); a formula "
                                  f"may have at most {MAX_FORMULA_CHARS:,}")
    if count > MAX_FORMULAS:
        raise ConfigError(f"the notes hold {count:,} formulas ($…$); at most {MAX_FORMULAS} are drawn (each is an "
                          "image): write long derivations as an image or in fewer, larger formulas")


def check_notes(folder: Path | None) -> None:
    """Before anything trains: no note is a link to a file outside the notes folder, and the notes' math is
    inside the limits."""
    if folder is None or not Path(folder).is_dir():
        return
    _check_links(folder)
    markdown, parsed = _markdown(), {}
    for path in sorted(Path(folder).glob("*.md")):
        try:
            if path.stat().st_size <= MAX_NOTE_BYTES:
                parsed[path] = markdown.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue   # said by read_notes, which reads the notes it renders
    _check_formulas(parsed)


def _check_links(folder: Path) -> None:
    for path in sorted(Path(folder).glob("*.md")):
        _check_inside(path, folder)


def _check_inside(path: Path, folder: Path) -> None:
    """A note that is a link out of its folder would leak a file into the report: refused."""
    if Path(folder).resolve() not in path.resolve().parents:
        raise ConfigError(f"note {path} is a link to a file outside the notes folder {folder}; copy the text "
                          "into the note instead")


def read_notes(folder: Path | None, names, warn=None) -> dict[str, str]:
    """stem → HTML, for every note of `names` that has text; warn(line) hears of every image left out."""
    if folder is None:
        return {}
    if not folder.is_dir():
        raise ConfigError(f"the notes folder {folder} does not exist")
    markdown, parsed = _markdown(), {}
    for name in names:
        path = folder / f"{name}.md"
        if not path.is_file():
            continue
        _check_inside(path, folder)
        try:
            size = path.stat().st_size
            if size > MAX_NOTE_BYTES:
                raise ConfigError(f"note {path} is {size / 1e6:.1f} MB; a note may be at most "
                                  f"{MAX_NOTE_BYTES / 1e6:g} MB (put large material in an image or an appendix file)")
            text = _COMMENT_LINE.sub("", path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"note {path} cannot be read: {error}") from None
        if text.strip():
            parsed[name] = markdown.parse(text)
    _check_formulas({folder / f"{name}.md": tokens for name, tokens in parsed.items()})
    rendered = {}
    for name, tokens in parsed.items():
        _embed_images(tokens, folder, folder / f"{name}.md", warn)
        rendered[name] = markdown.renderer.render(tokens, markdown.options, {})
    return rendered


def _math_image(tex: str, css_class: str) -> str:
    """TeX as an inline SVG image drawn by matplotlib's mathtext (a dependency already): it shows the same in
    report.html and in the PDF, with no JavaScript; TeX mathtext cannot draw is shown as code."""
    import base64
    import html
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import mathtext

    buffer = io.BytesIO()
    try:
        mathtext.math_to_image(f"${tex.strip()}$", buffer, format="svg", dpi=100)
    except (ValueError, RecursionError):   # a command mathtext does not know; nesting past the limits
        return f'<code class="{css_class}">{html.escape(tex)}</code>'
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="{css_class}" alt="{html.escape(tex, quote=True)}" src="data:image/svg+xml;base64,{data}">'


def _embed_images(tokens, folder: Path, note: Path, warn) -> None:
    """Each image's src becomes a data: URI of a picture file inside the notes folder, or is removed."""
    for token in tokens:
        for child in token.children or ():
            if child.type != "image":
                continue
            source = str(child.attrGet("src") or "")
            embedded, why = _data_uri(folder, source)
            child.attrSet("src", embedded or "")
            if why and warn:
                warn(f"warning: note {note.name}: image {source[:120]!r} left out ({why})")


def _data_uri(folder: Path, source: str) -> tuple[str | None, str | None]:
    """(data URI, None), or (None, why the image is not embedded)."""
    import base64
    from urllib.parse import unquote, urlparse

    if urlparse(source).scheme or source.startswith("//"):
        return None, "only image files inside the notes folder are embedded; nothing is fetched"
    root = folder.resolve()
    path = (root / unquote(source)).resolve()
    if not path.is_relative_to(root):
        return None, "it is outside the notes folder"
    if path.suffix.lower() not in IMAGE_TYPES:
        return None, f"not a {', '.join(sorted(IMAGE_TYPES))} file"
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            return None, f"larger than {MAX_IMAGE_BYTES / 1e6:g} MB"
        data = path.read_bytes()
    except OSError as error:
        return None, f"cannot be read: {error.strerror or error}"
    return f"data:{IMAGE_TYPES[path.suffix.lower()]};base64," + base64.b64encode(data).decode("ascii"), None


def init_notes(folder: Path, section_names) -> list[Path]:
    """Write an empty note with a one-line hint for every note not yet there; return those written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, purpose in note_names(section_names).items():
        path = folder / f"{name}.md"
        if not path.exists():
            path.write_text(f"<!-- mkreport: {purpose}. Markdown; replace this line with your text. -->\n",
                            encoding="utf-8")
            written.append(path)
    return written
