"""Build script: the metadata is in setup.cfg.

templates/ sits at the top of the source tree (the design card) and is shipped
inside the package as hfenv/templates, so an installed hfenv finds it beside
its own modules; a source checkout or an editable install finds it one level up.
Every file in templates/ is shipped (listed here, not globbed by suffix), so a
new shell's template cannot be forgotten.

The message catalogs (hfenv/locale/*/LC_MESSAGES/hfenv.po) are compiled to .mo while the wheel
is built (BuildPy below, with hfenv/i18n.py's own small compiler: no msgfmt, no babel); the wheel
ships the .mo, the sdist the .po (MANIFEST.in). Editable installs compile the .po at run time.
"""

import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"


class BuildPy(build_py):
    """build_py, then every hfenv/locale/**/hfenv.po compiled to hfenv.mo beside it in the build."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the .po from the source tree
        compile_po = runpy.run_path(str(HERE / "hfenv" / "i18n.py"))["compile_po"]
        for po in sorted((HERE / "hfenv" / "locale").glob("*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / po.relative_to(HERE).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(compile_po(po.read_text(encoding="utf-8")))


setup(
    packages=["hfenv", "hfenv.doctor", "hfenv.shells", "hfenv.templates"],
    package_dir={"hfenv": "hfenv", "hfenv.templates": "templates"},
    cmdclass={"build_py": BuildPy},
    package_data={"hfenv.templates": sorted(p.name for p in TEMPLATES.iterdir() if p.is_file())},
)
