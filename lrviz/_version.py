"""The version, in one place (read by setuptools and ``lrviz --version``)."""

__version__ = "0.2.0"
