"""tmplint: find and rewrite scratch files in the shared system temp dir."""
import os as _os

__version__ = "0.1.0"

# Installed, codemods/ is the subpackage tmplint/codemods (a package-dir mapping). Run from a
# source checkout (pytest in the repo root imports ./tmplint), it still sits beside tmplint/.
_checkout_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if not _os.path.isdir(_os.path.join(__path__[0], "codemods")) and _os.path.isfile(
    _os.path.join(_checkout_root, "codemods", "__init__.py")
):
    __path__.append(_checkout_root)
