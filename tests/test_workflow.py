"""The GitHub Actions workflow users copy runs the same steps as mkreport's own CI."""
import re

import yaml

from tests.conftest import REPO


def test_the_example_workflow_runs_the_steps_of_ci():
    workflow = yaml.safe_load((REPO / "examples" / "github-actions-report.yml").read_text())
    steps = workflow["jobs"]["report"]["steps"]
    commands = [line.split("#")[0].strip() for step in steps for line in step.get("run", "").splitlines()]
    mkreport = [c for c in commands if c.startswith("mkreport")]
    assert [c.split()[1] for c in mkreport] == ["all", "check"]
    ci = (REPO / ".ci" / "run").read_text()
    for command in mkreport:
        # the same command and profile; only the folders differ (CI reads the datasets in place)
        essential = re.sub(r"\s+--output\s+\S+", "", command)
        assert essential in ci, essential
    # the example installs mkreport's own clone the way the README does, never the user's repository
    readme = (REPO / "README.md").read_text()
    assert "pip install -e ./mkreport" in commands and "pip install -e ." in readme and "pip install -e '." in ci
    assert not any(c.startswith("pip install mkreport") or c == "pip install -e ." for c in commands)
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in steps)
