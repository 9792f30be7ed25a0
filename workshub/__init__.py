"""WorksHub: a real-time operations dashboard for professional-services teams."""

__version__ = "0.1.0"
__all__ = ["__version__"]
