"""A plain, non-editable install must carry the templates and the shipped defaults."""
import subprocess
import sys
import zipfile

from tests.conftest import REPO


def test_wheel_contains_templates_and_defaults(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("mkreport_dl-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("templates/report.html", "templates/report.css", "templates/sections/cnn.html",
                     "templates/sections/deconvnet.html", "templates/sections/provenance.html",
                     "report/defaults.toml", "experiments/deconvnet.py", "report/sections/cnn.py",
                     "report/sections/__init__.py"):
        assert required in names, required
