# English pages show dates exactly as the Chinese ones do (2026-11-22): one definition, in zh_Hans.
from huikuan.web.formats.zh_Hans.formats import *  # noqa: F403
