"""Build script: the metadata is in setup.cfg.

templates/ sits at the top of the source tree (the design card) and is shipped
inside the package as hfenv/templates, so an installed hfenv finds it beside
its own modules; a source checkout or an editable install finds it one level up.
Every file in templates/ is shipped (listed here, not globbed by suffix), so a
new shell's template cannot be forgotten.
"""

from pathlib import Path

from setuptools import setup

TEMPLATES = Path(__file__).resolve().parent / "templates"

setup(
    packages=["hfenv", "hfenv.doctor", "hfenv.shells", "hfenv.templates"],
    package_dir={"hfenv": "hfenv", "hfenv.templates": "templates"},
    package_data={"hfenv.templates": sorted(p.name for p in TEMPLATES.iterdir() if p.is_file())},
)
