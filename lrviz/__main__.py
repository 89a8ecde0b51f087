"""``python -m lrviz``."""

from lrviz.cli import main

main()
