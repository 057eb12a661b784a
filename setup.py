"""Build script: the metadata is in setup.cfg.

templates/ sits at the top of the source tree (the design card) and is shipped
inside the package as hfenv/templates, so an installed hfenv finds it beside
its own modules; a source checkout or an editable install finds it one level up.
"""

from setuptools import setup

setup(
    packages=["hfenv", "hfenv.doctor", "hfenv.templates"],
    package_dir={"hfenv": "hfenv", "hfenv.templates": "templates"},
    package_data={"hfenv.templates": ["*.sh", "*.fish", "*.csh", "*.xsh", "*.elv", "*.ps1", "*.bat", "*.gitconfig"]},
)
