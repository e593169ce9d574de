"""What an output folder was built with (profile, config file, --set, data, notes, templates), so
that later commands on the folder use the same settings unless told otherwise.

The record is output/mkreport-build.json, written by every build and render.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

RECORD = "mkreport-build.json"
OPTIONS = ("profile", "config", "sets", "data_dir", "notes", "templates", "claims")


@dataclass(frozen=True)
class Settings:
    """The command-line settings of a build; None where the user gave none."""

    profile: str | None = None
    config: str | None = None
    sets: tuple[str, ...] = field(default_factory=tuple)
    data_dir: str | None = None
    notes: str | None = None
    templates: str | None = None
    claims: str | None = None

    def describe(self, names=OPTIONS) -> str:
        """'profile smoke, config a.toml and notes n/' — of the named settings only, when given."""
        parts = [f"profile {self.profile or 'full'}"] if "profile" in names else []
        parts += [f"config {self.config}"] if self.config and "config" in names else []
        parts += [f"--set {s}" for s in self.sets] if "sets" in names else []
        parts += [f"notes {self.notes}"] if self.notes and "notes" in names else []
        parts += [f"templates {self.templates}"] if self.templates and "templates" in names else []
        parts += [f"claims {self.claims}"] if self.claims and "claims" in names else []
        return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)

    def options(self) -> list[str]:
        """The command-line options that reproduce these settings."""
        out = []
        if self.profile and self.profile != "full":
            out += ["--profile", self.profile]
        if self.config:
            out += ["--config", self.config]
        for text in self.sets:
            out += ["--set", text]
        for name in ("data_dir", "notes", "templates", "claims"):
            if getattr(self, name):
                out += [f"--{name.replace('_', '-')}", getattr(self, name)]
        return out


PATHS = ("config", "data_dir", "notes", "templates", "claims")


def read(output: Path) -> Settings | None:
    """The settings recorded in output, None when it has no record; a record that is not one
    (damaged, hand-edited, of another tool) is a ConfigError naming it, never silently ignored."""
    path = Path(output) / RECORD
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        recorded = data["settings"]
        if not isinstance(recorded, dict):
            raise TypeError("its settings are not a table")
        for name, value in recorded.items():
            if name == "sets":
                if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                    raise TypeError("sets is not a list of strings")
            elif name in OPTIONS and value is not None and not isinstance(value, str):
                raise TypeError(f"{name} is not a string")
        settings = Settings(**{k: (tuple(v) if k == "sets" else v) for k, v in recorded.items() if k in OPTIONS})
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        from ..errors import ConfigError

        reason = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise ConfigError(f"{path} is not a build record mkreport can read ({reason[:200]}); delete it and give "
                          "the options (--profile, --config, …) yourself") from None
    written_in = data.get("written_in")
    received = isinstance(written_in, str) and Path(written_in) != Path(output).resolve()
    return replace(settings, **{name: _inside(output, getattr(settings, name), name, received) for name in PATHS})


NONE = "none"   # --notes / --templates / --claims none: drop the recorded one

# What a received record may name only inside its own folder: files whose content reaches the report, or code.
EMBEDDED = ("config", "notes", "templates", "claims")
REFUSED = "refused:"


def refused(settings: Settings, output: Path) -> None:
    """A ConfigError for a path a received record names outside its folder that the command line did not replace."""
    for name in EMBEDDED:
        value = getattr(settings, name)
        if isinstance(value, str) and value.startswith(REFUSED):
            from ..errors import ConfigError

            option = f"--{name.replace('_', '-')}"
            raise ConfigError(f"{Path(output) / RECORD} was written in another folder and names {name} "
                              f"{value[len(REFUSED):]!r} outside {output}; it is not read: pass {option} yourself"
                              + (f" (or {option} none)" if name != "config" else ""))


def _inside(output: Path, recorded: str | None, name: str, received: bool = False) -> str | None:
    """A path as the record gives it. mkreport records absolute paths; a relative one (a record
    written by hand, or received from someone else) means a path inside the record's own folder,
    never one relative to wherever the command runs, and never one that leads out of that folder.
    A record written in another folder (received, or moved) is held to the same for what reaches the
    report: its config, notes, templates and claims file."""
    if not recorded or recorded == NONE:    # --notes none (no notes): a word, not a file in the folder
        return recorded
    if Path(recorded).is_absolute():
        if received and name in EMBEDDED and not Path(recorded).resolve().is_relative_to(Path(output).resolve()):
            return REFUSED + recorded   # refused unless the command line gives this option itself (refused())
        return recorded
    root = Path(output).resolve()
    path = (root / recorded).resolve()
    if not path.is_relative_to(root):
        from ..errors import ConfigError

        raise ConfigError(f"{Path(output) / RECORD} names a {name.replace('_', ' ')} {recorded!r} outside "
                          f"{output}; delete the record or pass --{name.replace('_', '-')} yourself")
    return str(path)


def read_raw(output: Path) -> dict | None:
    try:
        return json.loads((Path(output) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_json(settings: Settings, fingerprint: dict | None = None, output: Path | None = None) -> str:
    """The record; written_in: the folder it was written in (read elsewhere, it is a received record)."""
    return json.dumps({"settings": {**asdict(settings), "sets": list(settings.sets)}, "fingerprint": fingerprint,
                       **({"written_in": str(Path(output).resolve())} if output is not None else {})},
                      indent=1) + "\n"


def merge(given: Settings, recorded: Settings | None) -> tuple[Settings, Settings | None]:
    """The settings to use (what was given, else what was recorded) and, when what was given
    differs from the record, the record it differs from."""
    if recorded is None:
        return given, None
    merged = replace(recorded, **{name: getattr(given, name) for name in OPTIONS
                                  if getattr(given, name) not in (None, ())})
    differs = any(getattr(merged, name) != getattr(recorded, name) for name in OPTIONS if name != "data_dir")
    return merged, (recorded if differs else None)


def absolute(path) -> str | None:
    return str(Path(path).resolve()) if path else None
