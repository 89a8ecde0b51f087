"""lrviz: see a PyTorch learning-rate schedule before you spend GPU hours on it."""

__version__ = "0.1.0"
