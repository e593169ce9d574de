"""The docs cannot drift from the code: every config key is documented, every doc the README names exists."""
import re
import tomllib

from tests.conftest import REPO


def test_every_key_of_the_defaults_is_in_docs_configuration():
    defaults = tomllib.loads((REPO / "report" / "defaults.toml").read_text())
    doc = (REPO / "docs" / "configuration.md").read_text()
    missing = [f"{section}.{key}" for section, table in defaults.items() if section != "profiles"
               for key in table if f"`{section}.{key}`" not in doc]
    missing += [f"profiles.{name}.{section}.{key}" for name, sections in defaults["profiles"].items()
                for section, table in sections.items() for key in table
                if f"`profiles.{name}.{section}.{key}`" not in doc]
    assert missing == []


def test_the_readme_is_short_and_every_doc_it_links_exists():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    links = re.findall(r"\]\(((?:docs|benchmarks|examples)/[^)#]+)", readme)
    assert {"docs/configuration.md", "docs/statistics.md", "docs/performance.md", "docs/scale-out.md",
            "docs/architecture.md"} <= set(links)
    assert [link for link in links if not (REPO / link).is_file()] == []
