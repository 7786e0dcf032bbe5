from pathlib import Path

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticAndDocsMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise for /static/, plus the built MkDocs site under /docs/.

    WhiteNoise already does caching headers, compression and index files well;
    adding the docs directory to it beats a second, hand-made file server.
    """

    def __init__(self, get_response=None, settings_=None):
        super().__init__(get_response)
        site = Path(settings.DOCS_SITE_DIR)
        if site.is_dir():
            self.add_files(str(site), prefix="docs/")
