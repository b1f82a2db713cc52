"""`huikuan seed-demo` is the documented spelling of `huikuan seed_demo`."""

from .seed_demo import Command  # noqa: F401
