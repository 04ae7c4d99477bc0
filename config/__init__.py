"""Settings and the error hierarchy: the bottom layer every other package may import."""

from config.errors import ConfigurationError, GatekeeperError
from config.settings import Settings, load_settings

__all__ = ["ConfigurationError", "GatekeeperError", "Settings", "load_settings"]
