"""The user's own words: Markdown notes inserted into the report.

A notes folder holds intro.md, <section>.md (after that section's findings, under "Discussion"),
conclusion.md, and deconvnet-paper.md / compare-discussion.md, which replace mkreport's default
text for the paper summary and the CNN-versus-RNN discussion. Markdown is rendered by
markdown-it-py (CommonMark, a maintained parser) with raw HTML off: a <script> in a note is shown
as text, never run. A line that is only an HTML comment (the hints `mkreport notes --init`
writes) is left out, and a note with nothing else is treated as absent.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import ConfigError

REPLACEABLE = {"deconvnet-paper": "the summary of Zeiler & Fergus's paper (Section 3.1)",
               "compare-discussion": "the discussion of CNN versus RNN (Section 5.2)"}
_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$", re.MULTILINE)


def note_names(section_names) -> dict[str, str]:
    """Every note file's stem → what it is for (the hint `notes --init` writes)."""
    names = {"intro": "an introduction, before the first section"}
    names.update({name: f"your discussion of the {name} section, after its findings" for name in section_names})
    names.update(REPLACEABLE)
    names["conclusion"] = "a conclusion, after the last section"
    return names


def notes_folder(settings, config: dict) -> Path | None:
    """--notes, else [report] notes_dir, else notes/ beside the config file, if it exists."""
    if settings.notes:
        return Path(settings.notes)
    if config["report"]["notes_dir"]:
        return Path(config["report"]["notes_dir"])
    if settings.config and (Path(settings.config).parent / "notes").is_dir():
        return Path(settings.config).parent / "notes"
    return None


def read_notes(folder: Path | None, names) -> dict[str, str]:
    """stem → HTML, for every note of `names` that has text."""
    if folder is None:
        return {}
    if not folder.is_dir():
        raise ConfigError(f"the notes folder {folder} does not exist")
    from markdown_it import MarkdownIt

    markdown = MarkdownIt("commonmark", {"html": False})
    rendered = {}
    for name in names:
        path = folder / f"{name}.md"
        if not path.is_file():
            continue
        try:
            text = _COMMENT_LINE.sub("", path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"note {path} cannot be read: {error}") from None
        if text.strip():
            rendered[name] = markdown.render(text)
    return rendered


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
