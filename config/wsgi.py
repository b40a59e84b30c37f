import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What start-up built (modules, models, the URLconf) lives as long as the process: out of the
# garbage collector's reach, a full collection no longer walks those objects in the middle of a
# request (a list page's p95 in-process 31 -> 19 ms; bench/README.md, list_http.py).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018  (imports the views now, before the freeze)
gc.collect()
gc.freeze()
