"""speechtopics: find and compare themes in Chinese speeches about office work."""

__version__ = "0.1.0"
