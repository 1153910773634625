"""Static files in production: hashed names, compressed, and ES module imports rewritten."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # The viewer is ES modules (static/rbs/): their imports of each other are rewritten
    # to the hashed names too, so a new release never mixes old and new modules.
    support_js_module_import_aggregation = True
